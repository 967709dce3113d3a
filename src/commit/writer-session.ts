import { describeLake, type Config } from '../config.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { lakeCoverage } from './lake-coverage.js';
import { PipelineError } from '../errors.js';
import { LakeLease, LEASE_KEY, LeaseHeldError, NoLease, type LeaseHandle } from './lease.js';
import { LakeCommitter } from './committer.js';
import { PlayLedger } from './ledger.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import { StateLock } from '../state/lock.js';
import { openStateStore } from '../state/open-state-store.js';
import { openStateIdentity, saveStateIdentity } from './state-identity.js';
import type { StateStore } from '../state/state-store.js';

/**
 * What a run that writes to the lake holds: the state, the lake's lease, and the epoch in which the state's
 * ledger months are trusted. Every writer (run-once, backfill, run-continuous, import, state migrate) opens
 * one before it touches the lake and releases it at the end.
 */
export interface WriterSession {
  state: StateStore;
  lease: LeaseHandle;
  epoch: number;
  /** A ledger of one account and dataset that learns from the lake what its state does not vouch for. */
  ledger(userId: string, store: ObjectStore, dataset?: { name: string; prefix: string }): PlayLedger;
  release(): Promise<void>;
}

export async function openWriterSession(
  config: Config,
  log: Logger,
  command: string,
  options: {
    state?: StateStore;
    /**
     * When the lake cannot be reached to take its lease (a collection while S3 is down): go on without it.
     * Nothing is published then; what is collected waits in the outbox and is checked against the lake when
     * a later run replays it, so Spotify's short window of recent plays is not lost meanwhile.
     */
    degraded?: boolean;
  } = {},
): Promise<WriterSession> {
  // A local state folder keeps its PID lock too: two processes on one STATE_DIR with two lakes would
  // otherwise share one ledger.
  const lock = config.state.kind === 'local' ? await StateLock.acquire(config.state.dir, command) : undefined;
  let lease: LeaseHandle | undefined;
  try {
    const state = options.state ?? (await openStateStore(config));
    const opened = await openStateIdentity(state);
    const { identity } = opened;
    const lake = describeLake(config.storage);
    let taken: LakeLease | undefined;
    try {
      taken = await LakeLease.acquire({
        store: await openLakeAreaStore(config),
        lake,
        state: { id: identity.id, location: state.location },
        command,
        ttlMs: config.lease.ttlMs,
        waitMs: config.lease.waitMs,
        log,
      });
      lease = taken;
    } catch (err) {
      if (!options.degraded || !(err instanceof PipelineError) || err instanceof LeaseHeldError) throw err;
      log.warn({ err: err.message }, 'the lake is out of reach: collecting into the outbox only');
      lease = new NoLease(err);
    }
    if (taken && (taken.previousState !== identity.id || identity.lake !== lake)) {
      // Another state (or none we know of) wrote to this lake since this one last did: from now on each
      // ledger month is checked against the lake before it is trusted.
      const next = { ...identity, epoch: identity.epoch + 1, lake };
      await saveStateIdentity(state, next, opened.version);
      identity.epoch = next.epoch;
      log.info(
        { state: state.location, lake, epoch: next.epoch, lease: LEASE_KEY },
        'this setup was not the last to write to the lake (or never has): checking which plays the lake already holds before adding any',
      );
    }
    const heldLease = lease;
    return {
      state,
      lease: heldLease,
      epoch: identity.epoch,
      ledger: (userId, store, dataset) => {
        const ledger = new PlayLedger(
          state,
          userId,
          dataset?.name ?? 'tracks',
          lakeCoverage({
            store,
            prefix: dataset?.prefix ?? config.storage.prefix,
            userId,
            epoch: identity.epoch,
          }),
          // A degraded collection goes on with the state's word; its commits are checked on replay.
          options.degraded ? (err) => err instanceof PipelineError : undefined,
        );
        // Without the lease nobody says whether another state wrote since: nothing decided now is trusted.
        if (!taken) ledger.uncertain = true;
        return ledger;
      },
      release: async () => {
        await heldLease.release();
        await lock?.release();
      },
    };
  } catch (err) {
    await lease?.release();
    await lock?.release();
    throw err;
  }
}

/** A committer for one account's ledger that commits only while this session holds the lake's lease. */
export function sessionCommitter(
  writer: WriterSession,
  options: Omit<ConstructorParameters<typeof LakeCommitter>[0], 'state' | 'lease'>,
): LakeCommitter {
  return new LakeCommitter({ ...options, state: writer.state, lease: writer.lease });
}
