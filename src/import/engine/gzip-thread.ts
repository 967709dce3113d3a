import { Worker } from 'node:worker_threads';
import { PipelineError } from '../../errors.js';
import { BufferPool } from './buffer-pool.js';
import type { GzipRequest, GzipResponse } from './gzip-worker.js';
import { workerScript } from '../../util/worker-script.js';

/** What went wrong, and that nothing of the batch was written (batches before it were committed whole). */
function failed(problem: string): PipelineError {
  return new PipelineError(
    `${problem}. Nothing of the batch being compressed was written; check that the installation is complete (npm ci) and run the import again to resume.`,
    1,
  );
}

/**
 * gzip on a thread of its own (see gzip-worker.ts): compresses many files per message. Requests are answered
 * in order. The thread starts at once (it loads while the first batch is read) and is ended by close().
 */
export class GzipThread {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (bodies: Buffer[]) => void; reject: (err: Error) => void }
  >();
  /** Input buffers back from the thread, for the next batches: a batch's tracks and its episodes. */
  private readonly pool = new BufferPool(2);
  private worker: Worker | undefined = this.start();

  private start(): Worker {
    const worker = new Worker(workerScript(import.meta.url, 'import/engine', 'gzip-worker.js'), {
      // It holds one batch's lines and bodies at a time.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    worker.on('message', (m: GzipResponse) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if ('error' in m) {
        waiting?.reject(failed(`compressing a batch failed (${m.error})`));
        return;
      }
      this.pool.give(m.input.buffer as ArrayBuffer);
      const bodies: Buffer[] = new Array(m.ends.length);
      for (let i = 0, start = 0; i < m.ends.length; start = m.ends[i]!, i++) {
        bodies[i] = Buffer.from(m.bodies.buffer, m.bodies.byteOffset + start, m.ends[i]! - start);
      }
      waiting?.resolve(bodies);
    });
    const fail = (err: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', (err) => fail(failed(`the import's compression thread failed (${err.message})`)));
    worker.on('exit', (code) => fail(failed(`the import's compression thread exited with code ${code}`)));
    return worker;
  }

  /** A buffer of `size` bytes to fill with the lines of the next request (reused when possible). */
  inputBuffer(size: number): Uint8Array {
    return this.pool.take(size);
  }

  /** gzips input[ends[i - 1], ends[i]) for each i; `input` (from inputBuffer) is moved to the thread. */
  compress(input: Uint8Array, ends: Uint32Array, level: number): Promise<Buffer[]> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, input, ends, level } satisfies GzipRequest, [
        input.buffer as ArrayBuffer,
        ends.buffer as ArrayBuffer,
      ]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
  }
}
