import type { PlayKey } from '../commit/index.js';
import type { BatchPipeline } from './batch-pipeline.js';
import type { SliceLines } from './build-objects-from-lines.js';
import type { SourceFile } from './export-sources.js';
import type { ExportUsers } from './export-users.js';
import type { ImportedFile, ImportReport } from './import-report.js';
import { inBatches, type UserSink } from './import-sinks.js';
import { USER_PLACEHOLDER_JSON } from './parse-worker.js';
import { ROW_NEEDS_USER, ROW_TRACK, type RowColumns } from './row-columns.js';
import type { RowParser } from './row-parser.js';

/**
 * Deduplicates the parser's mapped rows against the ledger and this run's batches, and adds the new ones to
 * the batch being built (handing it to the pipeline when full). Its own function, not part of runImport's
 * loop: V8 re-optimises a hot function whenever a rare path in it first runs, and runImport is too big to
 * compile again and again.
 */
export class RowAdmitter {
  /** Rows of the file being imported done so far (what its checkpoint may say). */
  index = 0;
  private first = Infinity;
  private last = -Infinity;

  constructor(
    private readonly deps: {
      users: ExportUsers;
      sinks: Map<string, UserSink>;
      /** Opens the sink of an account met for the first time. */
      sinkOf: (userId: string) => Promise<UserSink>;
      report: ImportReport;
      batches: BatchPipeline;
      batchRows: number;
      parser: RowParser;
    },
  ) {}

  async admit(c: RowColumns, src: SourceFile, key: string, owner: SliceLines, entry: ImportedFile) {
    const { users, sinks, sinkOf, report, batches, batchRows } = this.deps;
    const source = src.kind === 'extended' ? 'ext' : 'acct';
    const strings = this.deps.parser.strings;
    for (let i = 0; i < c.kinds.length; i++) {
      const kind = c.kinds[i]!;
      this.index = c.rowsDone[i]!;
      const u = c.users[i]!;
      let userId = u < 0 ? null : c.userNames[u]!;
      let text = c.text;
      let start = i === 0 ? 0 : c.lineEnds[i - 1]!;
      let end = c.lineEnds[i]!;
      if (userId === null) {
        userId = users.fallbackUser();
        if (kind === ROW_NEEDS_USER) continue;
        text = Buffer.from(
          Buffer.from(text.buffer, text.byteOffset + start, end - start)
            .toString('utf8')
            .replace(USER_PLACEHOLDER_JSON, `"user_id":${JSON.stringify(userId)}`),
          'utf8',
        );
        [start, end] = [0, text.length];
      }
      const t = c.times[i]!;
      if (t < this.first) this.first = t;
      if (t > this.last) this.last = t;
      if (src.kind === 'extended') users.named.add(userId);
      const sink = sinks.get(userId) ?? (await sinkOf(userId));
      const ds = kind === ROW_TRACK ? sink.tracks : sink.episodes;
      const id = c.ids[i]!;
      const play: PlayKey = {
        t,
        id: id < 0 ? null : strings[id]!,
        name: strings[c.names[i]!]!,
        src: source,
      };
      if (inBatches(ds, play) || (ds.ledger.hasLoaded(play) ?? (await ds.ledger.has(play)))) {
        if (kind === ROW_TRACK) report.plays_already_present++;
        else report.episodes_already_present++;
        continue;
      }
      ds.pending.add(play);
      ds.rows.push(t, text, start, end, text === c.text ? owner : undefined);
      ds.keys.push(play);
      if (++batches.rows >= batchRows) {
        const progress = { file: src.display, rows_done: this.index, complete: false };
        await batches.commit(key, progress, entry, 'failed');
      }
    }
  }

  /** The first and last play admitted or found already present, or null when there was none. */
  dateRange(): { first: string; last: string } | null {
    if (!Number.isFinite(this.first)) return null;
    return { first: new Date(this.first).toISOString(), last: new Date(this.last).toISOString() };
  }
}
