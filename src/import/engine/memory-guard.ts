import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the import's resident memory under its budget. Between batches V8 lets garbage pile up (the
 * batch's rows, outbox and ledger texts, the parser's messages) until its own limits, which it sets far above
 * what the import keeps alive, so the peak RSS would depend on the machine's load rather than on the work.
 * After a batch is committed, a full collection brings it back down: at most every other batch while the
 * RSS is above `budgetBytes` (a collection costs the main thread tens of milliseconds, and one batch's
 * garbage is small), after any batch once it is above `hardBudgetBytes`. (Skipping collections that freed
 * little, to save their time, let the main thread's heap grow: 291-304 MB peaks at 2,000,000 rows.)
 */
export class MemoryGuard {
  private readonly gc: (() => void) | undefined;
  private batchesSince = 0;
  collections = 0;
  collectionMs = 0;

  private readonly rss: () => number;

  constructor(
    private readonly budgetBytes: number,
    private readonly hardBudgetBytes: number,
    /** The process's own by default; a test's stand-ins otherwise. */
    probes: { rss?: () => number; gc?: () => void } = {},
  ) {
    this.gc = probes.gc ?? exposeGc();
    this.rss = probes.rss ?? (() => process.memoryUsage.rss());
  }

  afterBatch(): void {
    this.batchesSince++;
    if (!this.gc) return;
    const rss = this.rss();
    if (rss > this.hardBudgetBytes || (rss > this.budgetBytes && this.batchesSince >= 2)) {
      const started = performance.now();
      this.gc();
      this.collectionMs += performance.now() - started;
      this.collections++;
      this.batchesSince = 0;
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
