import type { Config } from '../config.js';
import type { CustomFields } from '../custom-fields/custom-fields.js';
import { TransformError } from '../custom-fields/transform-runner.js';
import { buildObjects } from '../lake/build-objects.js';
import { tracksDataset } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ListeningRecord } from '../record/schema.js';
import { parseInstant } from '../record/time.js';
import type { SpotifyWebApi } from '../spotify/web-api.js';
import {
  type ObjectWrite,
  type PlayKey,
  readUserMeta,
  writeUserMeta,
  NoLease,
  sessionCommitter,
  type WriterSession,
} from '../commit/index.js';
import { isEpisodeItem, recordFromApiPlay } from '../record/from-api.js';
import { pausePoint } from '../util/pause-point.js';

export type SkipReason = 'null_track' | 'no_track_id' | 'episode' | 'bad_played_at' | 'outside_window';

export interface AccountCollection {
  userId: string;
  fetched: number;
  newPlays: number;
  alreadyPresent: number;
  skipped: Partial<Record<SkipReason, number>>;
  possibleGap: boolean;
  /** Objects written by this run, including those finished for an earlier crashed run. */
  writes: ObjectWrite[];
  /** Plays an earlier, interrupted run had queued and this run wrote. */
  recovered: number;
  /** Outbox entries left queued (the lake out of reach): published by a later run. */
  queued: number;
  /** New plays this run queued and could not publish. */
  queuedPlays: number;
  /** Set when plays stay queued: the run fails, and says that nothing is lost. */
  failure?: PipelineError;
  newestPlayedAt: string | null;
}

export interface CollectOptions {
  config: Config;
  userId: string;
  api: SpotifyWebApi;
  store: ObjectStore;
  /** The run's hold on the state and the lake's lease. */
  writer: WriterSession;
  log: Logger;
  /** Keep only plays at or after this instant (backfill --days). */
  sinceMs?: number;
  now?: () => Date;
  onObjectWritten?: (write: ObjectWrite) => void | Promise<void>;
  /** The run's custom fields, opened when a first record needs them (undefined: none). */
  customFields?: () => Promise<CustomFields | undefined>;
}

/**
 * One collection for one account: re-read the latest page, keep the plays the lake does not hold yet,
 * and commit them through the outbox. Re-reading the whole page each time (instead of trusting an `after`
 * cursor) is what catches plays that Spotify lists late or out of order.
 */
export async function collectAccount(options: CollectOptions): Promise<AccountCollection> {
  const { config, userId, api, store, log, writer } = options;
  const now = options.now ?? (() => new Date());
  // Months the state does not vouch for (a new or lost state, another state wrote since) are learned from
  // the lake first, so the plays Spotify still lists are never written twice.
  const ledger = writer.ledger(userId, store);
  // Records queued while the lake was out of reach get the lake's custom fields when they are published.
  const completeRecords = async (records: Record<string, unknown>[]) => {
    const custom = await options.customFields?.();
    return custom ? custom.apply('track', records) : records;
  };
  const committer = sessionCommitter(writer, {
    userId,
    store,
    ledger,
    log,
    onObjectWritten: options.onObjectWritten,
    completeRecords,
  });
  const recovered = await committer.recover();
  await pausePoint('after-recover');

  const page = await api.getRecentlyPlayed({ limit: config.batchSize });
  await pausePoint('after-fetch');
  const meta = await readUserMeta(writer.state, userId);
  const ingestedAt = now().toISOString();
  const result: AccountCollection = {
    userId,
    fetched: page.items.length,
    newPlays: 0,
    alreadyPresent: 0,
    skipped: {},
    possibleGap: false,
    writes: recovered.writes,
    recovered: recovered.writes.reduce((n, w) => n + w.records, 0),
    queued: recovered.queued,
    queuedPlays: 0,
    newestPlayedAt: null,
  };
  const skip = (reason: SkipReason) => (result.skipped[reason] = (result.skipped[reason] ?? 0) + 1);

  const records: ListeningRecord[] = [];
  const plays: PlayKey[] = [];
  const inThisPage = new Set<string>();
  let newest = meta.api_newest_played_at ? Date.parse(meta.api_newest_played_at) : -Infinity;
  for (const item of page.items) {
    const t = parseInstant(item.played_at);
    if (t === null) {
      skip('bad_played_at');
      continue;
    }
    if (!item.track) {
      skip('null_track');
      continue;
    }
    if (!item.track.id) {
      skip('no_track_id'); // local files and unavailable tracks
      continue;
    }
    if (isEpisodeItem(item)) {
      skip('episode');
      continue;
    }
    newest = Math.max(newest, t);
    const key: PlayKey = { t, id: item.track.id, name: item.track.name ?? '', src: 'api' };
    const pageKey = `${t}|${key.id}`;
    if (inThisPage.has(pageKey) || (await ledger.has(key))) {
      result.alreadyPresent++;
      continue;
    }
    inThisPage.add(pageKey);
    if (options.sinceMs !== undefined && t < options.sinceMs) {
      skip('outside_window');
      continue;
    }
    records.push(recordFromApiPlay(item, t, userId, ingestedAt));
    plays.push(key);
  }
  result.newPlays = records.length;

  // A full page that shares nothing with what we saw before means plays fell off the 50-play window.
  const seenBefore = meta.api_newest_played_at !== undefined;
  if (
    seenBefore &&
    page.items.length >= config.batchSize &&
    result.alreadyPresent === 0 &&
    records.length > 0
  ) {
    result.possibleGap = true;
    log.warn(
      { userId, previousNewest: meta.api_newest_played_at, pageSize: page.items.length },
      'possible gap: none of this full page was seen before, so plays between the last poll and this one may have been missed (Spotify lists only the 50 most recent). Poll more often; `import` can fill the gap from your privacy-data export.',
    );
  }

  const newestIso = Number.isFinite(newest) ? new Date(newest).toISOString() : undefined;
  result.newestPlayedAt = newestIso ?? null;
  const metaPatch = { api_newest_played_at: newestIso, last_success_at: now().toISOString() };
  if (records.length > 0) {
    const tx = { plays, meta: metaPatch };
    // Nothing read from the lake stands between the fetch and the queue: without the lease (the lake out of
    // reach) the records are queued as they are, and get the lake's custom fields when they are published.
    let custom: CustomFields | undefined;
    let fieldsPending = writer.lease.lost;
    if (!fieldsPending) {
      try {
        // Added before anything is staged: a transform that fails leaves the ledger unchanged.
        custom = await options.customFields?.();
      } catch (err) {
        if (!(err instanceof PipelineError) || err instanceof TransformError) throw err;
        fieldsPending = true;
        log.warn({ err: err.message }, "the lake's custom fields could not be read: queueing the plays");
      }
    }
    if (fieldsPending) {
      const objects = buildObjects(tracksDataset(config.storage.prefix), records);
      await committer.writeOutbox({ ...tx, objects }, { fieldsPending: true });
      result.queued++;
      result.queuedPlays = records.length;
      result.failure = queuedError(
        records.length,
        writer,
        writer.lease instanceof NoLease ? writer.lease.reason : undefined,
      );
      return result;
    }
    const finished = custom ? await custom.apply('track', records) : records;
    const objects = buildObjects(tracksDataset(config.storage.prefix), finished);
    let committed;
    try {
      committed = await committer.commit({ ...tx, objects });
    } catch (err) {
      // The outbox entry is durable: a lake that failed after it only delays the plays.
      if (!(err instanceof PipelineError) || (await committer.pending()).length === 0) throw err;
      result.queued++;
      result.queuedPlays = records.length;
      result.failure = queuedError(records.length, writer, err);
      return result;
    }
    result.writes.push(...committed.writes);
  } else {
    // Months learned from the lake are kept, so the next run trusts them.
    await ledger.flush();
    await writeUserMeta(writer.state, userId, { ...meta, ...metaPatch, user_id: userId });
  }
  if (ledger.learned > 0) {
    log.info({ userId, months: ledger.learned }, 'learned from the lake which plays it already holds');
  }
  return result;
}

/** The run's failure when plays are queued and not published: what happened, and that nothing is lost. */
function queuedError(count: number, writer: WriterSession, cause: PipelineError | undefined): PipelineError {
  const why = cause ? cause.message : 'the lake could not be reached';
  return new PipelineError(
    `${count} new play${count === 1 ? ' is' : 's are'} queued in the outbox of the state ${writer.state.location}, not yet in the lake: ${why} The next run publishes them, each once.`,
    1,
    { cause },
  );
}
