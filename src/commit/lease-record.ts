import { PipelineError } from '../errors.js';
import { LEASE_KEY } from '../lake/layout.js';
import { processAlive } from '../util/process-alive.js';

/**
 * What the lake's lease object holds and what a writer holds of it: the record's format, the handle the commit
 * protocol uses (the fence), and who counts as certainly dead. The holder that writes it is lease.ts.
 */

/** Where the lease lives in the lake (bucket root or DATA_DIR): outside every dataset prefix. */
export { LEASE_KEY };

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
  /** The kernel boot and PID namespace the pid belongs to (Linux): see deadOnThisHost. */
  boot?: string;
  pidns?: string;
}

/**
 * An outbox entry a holder announced before publishing any of its objects. Until it is finished its objects
 * may still appear in the lake (a frozen holder resumes and sends its PUTs), so the next holder of the same
 * state replays it byte for byte: the late PUTs then find their keys taken, and nothing lands twice.
 */
export interface InFlight {
  /** The outbox entry's id (its file name without the extension). */
  id: string;
  /** The state whose outbox holds it. */
  state: string;
}

export interface LeaseRecord {
  v: 1;
  /** Grows by one with every acquisition: a fencing counter. */
  fence: number;
  holder: LeaseHolder;
  expires_at: string;
  released_at: string | null;
  /** Who held it before this holder (null when the lease object was created by this acquisition). */
  previous: { state: string; fence: number } | null;
  /** Transactions announced and not finished yet (see InFlight). */
  inflight: InFlight[];
}

export function parseRecord(body: Buffer): LeaseRecord | undefined {
  try {
    const r = JSON.parse(body.toString('utf8')) as LeaseRecord;
    if (r?.v !== 1 || typeof r.fence !== 'number' || typeof r.expires_at !== 'string' || !r.holder) {
      return undefined;
    }
    return { ...r, inflight: Array.isArray(r.inflight) ? r.inflight : [] };
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
  /**
   * The fence: before any object of these outbox entries is published, a conditional write of the lease
   * (If-Match the version this holder wrote last) names them in flight. It fails once another writer has
   * taken the lease, however long this process was frozen and whatever its clock says: a writer that lost
   * the lease never publishes. Renews the lease too.
   */
  announce(ids: readonly string[]): Promise<void>;
  /** These entries are finished (objects and ledger durable): dropped from the lease at its next write. */
  settle(ids: readonly string[]): void;
  /** True for an entry an earlier holder of this state announced and did not finish: replay it as it is. */
  inherited(id: string): boolean;
  release(): Promise<void>;
}

/** No lease, because the lake could not be reached to take it: nothing may be published. */
export class NoLease implements LeaseHandle {
  readonly lost = true;
  constructor(readonly reason: PipelineError) {}
  async announce(): Promise<void> {
    throw this.reason;
  }
  settle(): void {}
  inherited(): boolean {
    return false;
  }
  async release(): Promise<void> {}
}

/**
 * A holder on this host that is certainly dead: same host, boot and PID namespace, and its PID is gone.
 * Without the boot and namespace a PID names nothing certain (a container beside a host process, a reboot).
 */
export function deadOnThisHost(held: LeaseHolder, me: LeaseHolder): boolean {
  return (
    held.host === me.host &&
    held.boot !== undefined &&
    held.boot === me.boot &&
    held.pidns !== undefined &&
    held.pidns === me.pidns &&
    held.pid !== process.pid &&
    !processAlive(held.pid)
  );
}
