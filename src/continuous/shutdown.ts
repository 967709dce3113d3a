import type { Logger } from '../log.js';
import { cooperateOnStop, stopHandlersInstalled } from '../util/stop-request.js';

/**
 * SIGINT/SIGTERM handling for a long-running command: the first signal asks for a clean stop (the
 * caller finishes the collection in flight), a second one exits at once. Exiting mid-write is safe
 * (the outbox finishes the write on the next start), only slower.
 */
export class ShutdownSignal {
  private readonly controller = new AbortController();
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  /** Keeps the process-wide SIGINT/SIGTERM handlers (src/util/stop-request.ts) from ending the process. */
  private readonly endCooperation: () => void;

  constructor(
    private readonly log: Logger,
    signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
  ) {
    this.endCooperation = cooperateOnStop(log);
    for (const signal of signals) {
      const handler = () => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get requested(): boolean {
    return this.controller.signal.aborted;
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.requested) {
      // The process-wide handlers, when a command installed them, log the second signal and exit 130/143.
      if (stopHandlersInstalled() && (signal === 'SIGINT' || signal === 'SIGTERM')) return;
      this.log.warn(
        { signal },
        'second signal: exiting now; the next start finishes any interrupted write (nothing is lost)',
      );
      process.exit(1);
    }
    this.log.info({ signal }, 'stop requested: finishing the collection in flight, then exiting');
    this.controller.abort();
  }

  /**
   * `work`'s result, or null as soon as a stop is requested. Deliberately not
   * `Promise.race([work, stopped])` against one promise pending for the life of the process: each race
   * leaves a reaction on that promise which keeps the race's settled result (a cycle's run summary)
   * reachable, about 1 KB a cycle forever. The abort listener here is removed when `work` settles.
   */
  until<T>(work: Promise<T>): Promise<T | null> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      const onAbort = () => resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.endCooperation();
  }
}

/** Resolves at `atMs` or as soon as `signal` aborts, whichever comes first. */
export function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, atMs - Date.now()));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
