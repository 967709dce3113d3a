import { sleep } from '../net/retry.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PipelineError } from '../errors.js';
import { pidScope } from '../util/process-alive.js';
import type { Logger } from '../log.js';
import { StateConflictError, type StateStore } from '../state/state-store.js';
import {
  deadOnThisHost,
  LEASE_KEY,
  LeaseHeldError,
  parseRecord,
  type InFlight,
  type LeaseHandle,
  type LeaseHolder,
  type LeaseRecord,
} from './lease-record.js';

export {
  LEASE_KEY,
  LeaseHeldError,
  NoLease,
  type InFlight,
  type LeaseHandle,
  type LeaseHolder,
} from './lease-record.js';

/**
 * One writer per lake. The lease is an object in the lake itself, created and renewed with conditional
 * writes (create-if-absent, replace-if-unchanged), so two processes, two hosts or two STATE_DIRs writing to
 * one lake can never both hold it. It is renewed in the background while the holder runs; a holder killed
 * with SIGKILL stops renewing, and its lease is taken over once it has expired (at once when the holder is
 * certainly a dead process on this host). Expiry only decides when a waiting writer may take over; what
 * keeps a writer that lost the lease from publishing is `announce`, a conditional write that fails once the
 * lease was taken (docs/architecture.md gives the whole argument).
 */
export class LakeLease implements LeaseHandle {
  private version: string;
  private record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  /** Writes of the lease one at a time: each is conditional on the version the one before wrote. */
  private queue: Promise<unknown> = Promise.resolve();
  private lostError: PipelineError | undefined;
  private released = false;
  private readonly settled = new Set<string>();
  private readonly inheritedIds: ReadonlySet<string>;

  private constructor(
    private readonly store: StateStore,
    private readonly ttlMs: number,
    private readonly log: Logger,
    version: string,
    record: LeaseRecord,
  ) {
    this.version = version;
    this.record = record;
    this.inheritedIds = new Set(record.inflight.map((e) => e.id));
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

  /** The entries named in flight by the lease as this holder last wrote it. */
  get inflight(): readonly InFlight[] {
    return this.record.inflight;
  }

  inherited(id: string): boolean {
    return this.inheritedIds.has(id) && !this.settled.has(id);
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
      ...pidScope(),
    };
    const deadline = Date.now() + options.waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const fresh = (
        fence: number,
        previous: LeaseRecord['previous'],
        inflight: InFlight[],
      ): LeaseRecord => ({
        v: 1,
        fence,
        holder,
        expires_at: new Date(now + ttlMs).toISOString(),
        released_at: null,
        previous,
        inflight,
      });
      const current = await store.read(LEASE_KEY);
      if (!current) {
        const record = fresh(1, null, []);
        const version = await store.create(LEASE_KEY, JSON.stringify(record));
        if (version !== undefined) return new LakeLease(store, ttlMs, log, version, record).start();
        continue; // someone created it first (perhaps our own write, its answer lost): look at it
      }
      const held = parseRecord(current.body);
      if (held && held.holder.id === holder.id) {
        // Our own create or takeover landed and its answer was lost (a 409 or a timeout, then a retry).
        return new LakeLease(store, ttlMs, log, current.version, held).start();
      }
      // A holder that released it, or certainly died, publishes nothing more.
      const stopped =
        held !== undefined && (held.released_at !== null || deadOnThisHost(held.holder, holder));
      const free = !held || stopped || Date.parse(held.expires_at) <= now;
      if (free) {
        const inflight = held?.inflight ?? [];
        const foreign = inflight.filter((e) => e.state !== holder.state);
        if (foreign.length > 0 && !stopped) {
          // Its objects may still land, and only its state can replay them as they are.
          const h = held!.holder;
          throw new PipelineError(
            `The lake ${options.lake} has a transaction in flight from another state (${h.state_location}, \`${h.command}\` PID ${h.pid} on ${h.host}), which stopped without finishing it: its objects may still appear, and only that state can finish them. Run any command with that state (STATE_DIR or STATE_URL = ${h.state_location}) once to finish them; this run publishes nothing until then (a collection keeps what it fetches in its outbox).`,
            1,
          );
        }
        // Ours are inherited and replayed as they are; a stopped foreign holder's are settled (its state
        // reconciles them against the lake when it runs again).
        const record = fresh(
          (held?.fence ?? 0) + 1,
          held ? { state: held.holder.state, fence: held.fence } : null,
          inflight.filter((e) => e.state === holder.state),
        );
        try {
          const version = await store.replace(LEASE_KEY, JSON.stringify(record), current.version);
          if (held && held.released_at === null) {
            log.warn(
              { previous: held.holder, expiredAt: held.expires_at, inflight: record.inflight.length },
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
          log.info(
            { holder: held.holder, expiresAt: held.expires_at },
            'another spotify-pipeline process is writing to this lake: waiting for it to finish',
          );
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
    return this.write([], false);
  }

  async announce(ids: readonly string[]): Promise<void> {
    await this.write(ids, true);
  }

  settle(ids: readonly string[]): void {
    for (const id of ids) this.settled.add(id);
  }

  /** One conditional write of the lease, after the ones already queued. */
  private write(add: readonly string[], announcing: boolean): Promise<void> {
    const run = this.queue.then(() => this.doWrite(add, announcing));
    this.queue = run.catch(() => {});
    return run;
  }

  private async doWrite(add: readonly string[], announcing: boolean): Promise<void> {
    if (this.lostError) throw this.lostError;
    if (this.released) {
      if (announcing) throw new Error('LakeLease: announce after release');
      return;
    }
    const state = this.record.holder.state;
    const record: LeaseRecord = {
      ...this.record,
      expires_at: new Date(Date.now() + this.ttlMs).toISOString(),
      inflight: [
        ...this.record.inflight.filter((e) => !this.settled.has(e.id)),
        ...add.map((id) => ({ id, state })),
      ],
    };
    await this.replaceOwn(record, (err) => {
      if (Date.now() >= Date.parse(this.record.expires_at)) {
        this.lose(err);
        throw this.lostError;
      }
      // A passing failure (network, 503): the next renewal tries again while the lease still runs.
      this.log.warn({ err: (err as Error).message }, 'could not write the lake lease; trying again');
      throw err;
    });
  }

  /**
   * Replaces the lease with `record`, conditional on the version this holder wrote last. A conflict whose
   * re-read still shows this holder is our own earlier write whose answer was lost: written again on it.
   */
  private async replaceOwn(record: LeaseRecord, onFailure: (err: unknown) => never): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.version = await this.store.replace(LEASE_KEY, JSON.stringify(record), this.version);
        this.record = record;
        return;
      } catch (err) {
        if (!(err instanceof StateConflictError)) onFailure(err);
        const now = await this.store.read(LEASE_KEY).catch(() => undefined);
        const seen = now && parseRecord(now.body);
        if (attempt === 0 && now && seen?.holder.id === this.record.holder.id && seen.released_at === null) {
          this.version = now.version;
          continue;
        }
        this.lose(err);
        throw this.lostError;
      }
    }
  }

  private lose(cause: unknown): void {
    this.lostError ??= new PipelineError(
      `This run lost its lease on the lake (another writer took it over, or it could not be renewed before it expired at ${this.record.expires_at}): it stopped before committing anything more. What it committed is in the lake, and what it had queued is finished by the next run; run again to go on.`,
      1,
      { cause },
    );
    clearInterval(this.timer);
  }

  /**
   * Gives the lease up (kept as an object with its fence and holder, so the next writer knows who wrote
   * last). Entries still in flight stay named: the next holder of this state replays them as they are.
   */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.queue;
    if (this.released || this.lostError) return;
    this.released = true;
    const now = new Date().toISOString();
    const record: LeaseRecord = {
      ...this.record,
      expires_at: now,
      released_at: now,
      inflight: this.record.inflight.filter((e) => !this.settled.has(e.id)),
    };
    try {
      await this.replaceOwn(record, (err) => {
        throw err;
      });
    } catch (err) {
      // Not released: it expires by itself after the TTL.
      this.log.warn(
        { err: (err as Error).message },
        'could not release the lake lease; it expires by itself',
      );
    }
  }
}
