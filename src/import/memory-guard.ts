import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the import's resident memory under its budget. Between batches V8 lets garbage pile up (the
 * batch's rows, outbox and ledger texts, the parser's buffers) until its own limits, which it sets far above
 * what the import keeps alive, so the peak RSS would depend on the machine's load rather than on the work.
 * After a batch is committed, if the RSS is above `budgetBytes`, one full collection brings it back down;
 * it costs a few milliseconds and happens only when needed.
 */
export class MemoryGuard {
  private readonly gc: (() => void) | undefined;
  collections = 0;
  collectionMs = 0;

  constructor(private readonly budgetBytes: number) {
    this.gc = exposeGc();
  }

  afterBatch(): void {
    if (this.gc && process.memoryUsage.rss() > this.budgetBytes) {
      const started = performance.now();
      this.gc();
      this.collectionMs += performance.now() - started;
      this.collections++;
    }
  }
}

function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    // The documented way to reach V8's collector without a command-line flag: expose it, then read `gc`
    // from a fresh context (the flag applies to contexts created after it is set).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
