import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PipelineError } from '../errors.js';
import { processAlive } from '../util/process-alive.js';
import type { Logger } from '../log.js';
import { StateConflictError, type StateStore } from './state-store.js';

/** Where the lease lives in the lake (bucket root or DATA_DIR): outside every dataset prefix. */
export const LEASE_KEY = '_pipeline/lease.json';

export interface LeaseHolder {
  /** Random per acquisition: tells this holder from a restarted process with the same PID. */
  id: string;
  /** The id of the holder's state (see state-identity.ts): who wrote the lake last. */
  state: string;
  state_location: string;
  host: string;
  pid: number;
  command: string;
  acquired_at: string;
}

interface LeaseRecord {
  v: 1;
  /** Grows by one with every acquisition: a fencing counter. */
  fence: number;
  holder: LeaseHolder;
  expires_at: string;
  released_at: string | null;
  /** Who held it before this holder (null when the lease object was created by this acquisition). */
  previous: { state: string; fence: number } | null;
}

function parseRecord(body: Buffer): LeaseRecord | undefined {
  try {
    const r = JSON.parse(body.toString('utf8')) as LeaseRecord;
    if (r?.v !== 1 || typeof r.fence !== 'number' || typeof r.expires_at !== 'string' || !r.holder) {
      return undefined;
    }
    return r;
  } catch {
    return undefined;
  }
}

/** The lake's lease is held by another live writer. */
export class LeaseHeldError extends PipelineError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'LeaseHeldError';
  }
}

/** What a writer holds: the lease, or (degraded) the reason it has none. */
export interface LeaseHandle {
  readonly lost: boolean;
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** No lease, because the lake could not be reached to take it: nothing may be published. */
export class NoLease implements LeaseHandle {
  readonly lost = true;
  constructor(readonly reason: PipelineError) {}
  async assertHeld(): Promise<void> {
    throw this.reason;
  }
  async release(): Promise<void> {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One writer per lake. The lease is an object in the lake itself, created and renewed with conditional
 * writes (create-if-absent, replace-if-unchanged), so two processes, two hosts or two STATE_DIRs writing to
 * one lake can never both hold it. It is renewed in the background while the holder runs; a holder killed
 * with SIGKILL stops renewing, and its lease is taken over once it has expired (at once when the holder is a
 * dead process on this host). A holder that could not renew in time has lost it: `assertHeld` then refuses
 * to commit, and the renewal's conditional write is what tells it.
 */
export class LakeLease implements LeaseHandle {
  private version: string;
  private record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private lostError: PipelineError | undefined;
  private released = false;

  private constructor(
    private readonly store: StateStore,
    private readonly ttlMs: number,
    private readonly log: Logger,
    version: string,
    record: LeaseRecord,
  ) {
    this.version = version;
    this.record = record;
  }

  /** The state that held the lease before this acquisition, if any. */
  get previousState(): string | undefined {
    return this.record.previous?.state;
  }

  /** True once the lease is lost: nothing more may be committed under it. */
  get lost(): boolean {
    return this.lostError !== undefined;
  }

  get fence(): number {
    return this.record.fence;
  }

  get holder(): LeaseHolder {
    return this.record.holder;
  }

  get expiresAt(): Date {
    return new Date(this.record.expires_at);
  }

  static async acquire(options: {
    store: StateStore;
    lake: string;
    state: { id: string; location: string };
    command: string;
    ttlMs: number;
    waitMs: number;
    log: Logger;
  }): Promise<LakeLease> {
    const { store, ttlMs, log } = options;
    const holder: LeaseHolder = {
      id: randomBytes(8).toString('hex'),
      state: options.state.id,
      state_location: options.state.location,
      host: hostname(),
      pid: process.pid,
      command: options.command,
      acquired_at: new Date().toISOString(),
    };
    const deadline = Date.now() + options.waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const fresh = (fence: number, previous: LeaseRecord['previous']): LeaseRecord => ({
        v: 1,
        fence,
        holder,
        expires_at: new Date(now + ttlMs).toISOString(),
        released_at: null,
        previous,
      });
      const current = await store.read(LEASE_KEY);
      if (!current) {
        const record = fresh(1, null);
        const version = await store.create(LEASE_KEY, JSON.stringify(record));
        if (version !== undefined) return new LakeLease(store, ttlMs, log, version, record).start();
        continue; // another writer created it first: look at theirs
      }
      const held = parseRecord(current.body);
      const free =
        !held ||
        held.released_at !== null ||
        Date.parse(held.expires_at) <= now ||
        (held.holder.host === holder.host &&
          held.holder.pid !== process.pid &&
          !processAlive(held.holder.pid));
      if (free) {
        // An unreadable lease object is taken over too; without its history the state's coverage restarts.
        const record = fresh(
          (held?.fence ?? 0) + 1,
          held ? { state: held.holder.state, fence: held.fence } : null,
        );
        try {
          const version = await store.replace(LEASE_KEY, JSON.stringify(record), current.version);
          if (held && held.released_at === null) {
            log.warn(
              { previous: held.holder, expiredAt: held.expires_at },
              'took over the lake lease of a writer that stopped without releasing it',
            );
          }
          return new LakeLease(store, ttlMs, log, version, record).start();
        } catch (err) {
          if (err instanceof StateConflictError) continue; // another writer took it first: look again
          throw err;
        }
      }
      const expires = Date.parse(held.expires_at);
      if (now < deadline) {
        if (attempt === 0) {
          log.info({ holder: held.holder, expiresAt: held.expires_at }, 'waiting for the lake lease');
        }
        await sleep(Math.max(50, Math.min(1000, expires - now + 10, deadline - now)));
        continue;
      }
      const h = held.holder;
      throw new LeaseHeldError(
        `Another spotify-pipeline is writing to the lake ${options.lake}: \`${h.command}\` (PID ${h.pid} on ${h.host}, state ${h.state_location}) since ${h.acquired_at}. Its lease expires at ${held.expires_at} (in ${Math.max(0, Math.ceil((expires - now) / 1000))} s) unless it renews it. Wait for it to finish; if it was killed, a run after that time takes over. Set LEASE_WAIT_SECONDS to make runs wait for it instead of exiting.`,
      );
    }
  }

  private start(): this {
    this.timer = setInterval(() => void this.renew().catch(() => {}), Math.max(1000, this.ttlMs / 3));
    this.timer.unref();
    return this;
  }

  /** Extends the lease by a TTL. Fails (and marks the lease lost) when someone else has taken it. */
  renew(): Promise<void> {
    this.renewing ??= this.doRenew().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async doRenew(): Promise<void> {
    if (this.lostError) throw this.lostError;
    if (this.released) return;
    const record = { ...this.record, expires_at: new Date(Date.now() + this.ttlMs).toISOString() };
    try {
      this.version = await this.store.replace(LEASE_KEY, JSON.stringify(record), this.version);
      this.record = record;
    } catch (err) {
      if (err instanceof StateConflictError || Date.now() >= Date.parse(this.record.expires_at)) {
        this.lose(err);
        throw this.lostError;
      }
      // A passing failure (network, 503): the next renewal tries again while the lease still runs.
      this.log.warn({ err: (err as Error).message }, 'could not renew the lake lease; trying again');
      throw err;
    }
  }

  private lose(cause: unknown): void {
    this.lostError ??= new PipelineError(
      `This run lost its lease on the lake (another writer took it over, or it could not be renewed before it expired at ${this.record.expires_at}): it stopped before committing anything more. What it committed is in the lake; run again to go on.`,
      1,
      { cause },
    );
    clearInterval(this.timer);
  }

  /**
   * Called before each commit: throws if the lease is lost, and renews it first when less than half of its
   * TTL is left, so that a commit never runs on a lease about to expire.
   */
  async assertHeld(): Promise<void> {
    if (this.lostError) throw this.lostError;
    if (Date.parse(this.record.expires_at) - Date.now() < this.ttlMs / 2) {
      try {
        await this.renew();
      } catch (err) {
        if (this.lostError) throw this.lostError;
        if (Date.parse(this.record.expires_at) - Date.now() < this.ttlMs / 4) {
          this.lose(err);
          throw this.lostError;
        }
      }
    }
  }

  /** Gives the lease up (kept as an object with its fence and holder, so the next writer knows who wrote last). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.released || this.lostError) return;
    await this.renewing?.catch(() => {});
    this.released = true;
    const now = new Date().toISOString();
    const record = { ...this.record, expires_at: now, released_at: now };
    try {
      await this.store.replace(LEASE_KEY, JSON.stringify(record), this.version);
    } catch (err) {
      // Not released: it expires by itself after the TTL.
      this.log.warn(
        { err: (err as Error).message },
        'could not release the lake lease; it expires by itself',
      );
    }
  }
}
