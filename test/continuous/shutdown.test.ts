import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ShutdownSignal } from '../../src/continuous/shutdown.js';
import { silentLogger } from '../../src/log.js';

describe('ShutdownSignal.until', () => {
  it("gives the work's result and leaves nothing on the signal, however many cycles wait on it", async () => {
    const shutdown = new ShutdownSignal(silentLogger, ['SIGUSR2']);
    try {
      for (let i = 0; i < 1000; i++) expect(await shutdown.until(Promise.resolve(i))).toBe(i);
      // A listener (or a reaction on a pending promise) per cycle is what kept every run summary alive.
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
      await expect(shutdown.until(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    } finally {
      shutdown.dispose();
    }
  });

  it("keeps no cycle's result once the cycle is done (the soak's 1 KB a cycle)", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const shutdown = new ShutdownSignal(silentLogger, ['SIGUSR2']);
    try {
      const results: WeakRef<object>[] = [];
      for (let i = 0; i < 100; i++) {
        const summary = { run_id: `run-${i}` };
        results.push(new WeakRef(summary));
        await shutdown.until(Promise.resolve(summary));
      }
      await new Promise((r) => setImmediate(r));
      gc();
      // The last one may still sit in this function's frame; the leak kept all of them.
      expect(results.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1);
    } finally {
      shutdown.dispose();
    }
  });

  it('answers null as soon as a stop is requested, without waiting for the work', async () => {
    const shutdown = new ShutdownSignal(silentLogger, ['SIGUSR2']);
    try {
      const never = new Promise<number>(() => undefined);
      const waiting = shutdown.until(never);
      process.emit('SIGUSR2');
      expect(await waiting).toBeNull();
      expect(await shutdown.until(never)).toBeNull(); // already stopping: at once
    } finally {
      shutdown.dispose();
    }
  });
});
