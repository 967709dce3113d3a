import type { PlayKey } from '../commit/index.js';
import type { BatchPipeline } from './batch-pipeline.js';
import type { SliceLines } from '../lake/build-objects.js';
import type { SourceFile } from './export-sources.js';
import type { ExportUsers } from './export-users.js';
import type { ImportedFile, ImportReport } from './import-report.js';
import type { UserSink } from './import-sinks.js';
import {
  ROW_TRACK,
  USER_EMPTY,
  USER_PLACEHOLDER_JSON,
  type RowColumns,
  type RowParser,
} from './engine/index.js';

/** A row with an empty `username`, held until its file names its user or ends. */
interface WaitingRow {
  kind: number;
  /** Rows of the file done once this one is. */
  rowsDone: number;
  t: number;
  id: string | null;
  name: string;
  /** Its line (a copy: the slice's buffer goes back to the parser), with USER_PLACEHOLDER in it. */
  line: Buffer;
}

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
  private src!: SourceFile;
  private key = '';
  private entry!: ImportedFile;
  /** Rows with an empty `username` met before the file named its user (see ExportUsers). */
  private waiting: WaitingRow[] = [];

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

  /**
   * A new file: its checkpoint key, its entry in the report, and the user its rows named before a resume.
   */
  beginFile(src: SourceFile, key: string, entry: ImportedFile, namedUser?: string): void {
    this.src = src;
    this.key = key;
    this.entry = entry;
    this.index = 0;
    this.waiting = [];
    this.deps.users.beginFile(src.display, namedUser);
  }

  /** What a checkpoint of the file says once the rows admitted so far are committed. */
  progress(complete: boolean): { file: string; rows_done: number; complete: boolean; user?: string } {
    const user = this.deps.users.fileUser;
    return {
      file: this.src.display,
      rows_done: complete ? this.index : this.rowsDone,
      complete,
      ...(user === undefined ? {} : { user }),
    };
  }

  async admit(c: RowColumns, owner: SliceLines): Promise<void> {
    const { users } = this.deps;
    const extended = this.src.kind === 'extended';
    const strings = this.deps.parser.strings;
    for (let i = 0; i < c.kinds.length; i++) {
      const u = c.users[i]!;
      const start = i === 0 ? 0 : c.lineEnds[i - 1]!;
      const end = c.lineEnds[i]!;
      const id = c.ids[i]!;
      const rowId = id < 0 ? null : strings[id]!;
      const name = strings[c.names[i]!]!;
      if (u >= 0) {
        const userId = c.userNames[u]!;
        users.noteNamed(userId, extended);
        if (this.waiting.length > 0) await this.admitWaiting();
        this.index = c.rowsDone[i]!;
        await this.add(c.kinds[i]!, c.times[i]!, rowId, name, userId, c.text, start, end, owner);
      } else if (u === USER_EMPTY && !users.fileNamesAUser) {
        this.waiting.push({
          kind: c.kinds[i]!,
          rowsDone: c.rowsDone[i]!,
          t: c.times[i]!,
          id: rowId,
          name,
          line: Buffer.from(c.text.subarray(start, end)),
        });
      } else {
        // USER_NONE, or USER_EMPTY once the file has named its user.
        this.index = c.rowsDone[i]!;
        const userId = users.unnamedUser();
        const line = withUser(c.text.subarray(start, end), userId);
        await this.add(c.kinds[i]!, c.times[i]!, rowId, name, userId, line, 0, line.length);
      }
    }
  }

  /** The file is read: rows still waiting for its user get the one ExportUsers decides (it may throw). */
  async endFile(rows: number): Promise<void> {
    if (this.waiting.length > 0) await this.admitWaiting();
    this.index = rows;
  }

  /** Rows of the file a checkpoint may say are done: none past a row still waiting for its user. */
  get rowsDone(): number {
    return this.waiting.length > 0 ? this.waiting[0]!.rowsDone - 1 : this.index;
  }

  private async admitWaiting(): Promise<void> {
    const userId = this.deps.users.unnamedUser();
    const rows = this.waiting;
    this.waiting = [];
    const index = this.index;
    for (const w of rows) {
      const line = withUser(w.line, userId);
      await this.add(w.kind, w.t, w.id, w.name, userId, line, 0, line.length);
    }
    this.index = index;
  }

  private async add(
    kind: number,
    t: number,
    id: string | null,
    name: string,
    userId: string,
    text: Uint8Array,
    start: number,
    end: number,
    owner?: SliceLines,
  ): Promise<void> {
    const { sinks, sinkOf, report, batches, batchRows } = this.deps;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    const sink = sinks.get(userId) ?? (await sinkOf(userId));
    const ds = kind === ROW_TRACK ? sink.tracks : sink.episodes;
    const play: PlayKey = { t, id, name, src: this.src.kind === 'extended' ? 'ext' : 'acct' };
    if (ds.inBatches(play) || (ds.ledger.hasLoaded(play) ?? (await ds.ledger.has(play)))) {
      if (kind === ROW_TRACK) report.plays_already_present++;
      else report.episodes_already_present++;
      return;
    }
    ds.add(play, t, text, start, end, owner);
    if (++batches.rows >= batchRows) {
      await batches.commit(this.key, this.progress(false), this.entry, 'failed');
    }
  }

  /** The first and last play admitted or found already present, or null when there was none. */
  dateRange(): { first: string; last: string } | null {
    if (!Number.isFinite(this.first)) return null;
    return { first: new Date(this.first).toISOString(), last: new Date(this.last).toISOString() };
  }
}

/** A line rendered without its user, with the user filled in. */
function withUser(line: Uint8Array, userId: string): Buffer {
  return Buffer.from(
    Buffer.from(line.buffer, line.byteOffset, line.byteLength)
      .toString('utf8')
      .replace(USER_PLACEHOLDER_JSON, `"user_id":${JSON.stringify(userId)}`),
    'utf8',
  );
}
