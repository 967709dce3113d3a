import { stopSignal } from './stop-request.js';

/**
 * Test hook for crash-safety and stop tests. When SPOTIFY_PIPELINE_PAUSE_AT names this point, the process
 * announces it on stderr and waits there forever, so a test can SIGKILL it at exactly that step. When
 * SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP names it, the wait ends at SIGINT/SIGTERM, so a test sees where the command
 * then stops (its next safe point). Costs two environment lookups otherwise.
 */
export async function pausePoint(name: string): Promise<void> {
  const forever = names(process.env.SPOTIFY_PIPELINE_PAUSE_AT).includes(name);
  const untilStop = names(process.env.SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP).includes(name);
  if (!forever && !untilStop) return;
  const stop = stopSignal();
  if (!forever && stop.aborted) return;
  process.stderr.write(`PAUSED AT ${name}\n`);
  await new Promise<void>((resolve) => {
    // The timer keeps the process alive while it waits (an abort listener alone would not).
    const timer = setInterval(() => {}, 1 << 30);
    if (forever) return;
    stop.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function names(value: string | undefined): string[] {
  return value ? value.split(',') : [];
}
