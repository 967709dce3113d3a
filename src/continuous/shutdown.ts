import type { Logger } from '../log.js';

/**
 * SIGINT/SIGTERM handling for a long-running command: the first signal asks for a clean stop (the
 * caller finishes the collection in flight), a second one exits at once. Exiting mid-write is safe
 * (the outbox finishes the write on the next start), only slower.
 */
export class ShutdownSignal {
  private readonly controller = new AbortController();
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  readonly stopped: Promise<NodeJS.Signals>;
  private resolveStopped!: (signal: NodeJS.Signals) => void;

  constructor(
    private readonly log: Logger,
    signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
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
      this.log.warn(
        { signal },
        'second signal: exiting now; the next start finishes any interrupted write (nothing is lost)',
      );
      process.exit(1);
    }
    this.log.info({ signal }, 'stop requested: finishing the collection in flight, then exiting');
    this.controller.abort();
    this.resolveStopped(signal);
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
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
