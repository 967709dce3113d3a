import { stopSignal } from './stop-request.js';

/** The steps a crash, freeze or stop test can halt a process at (the failpoints of the commit protocol). */
export type PausePoint =
  | 'after-recover'
  | 'after-fetch'
  | 'after-outbox'
  | 'after-announce'
  | 'after-stage-files'
  | 'after-stage'
  | 'after-object'
  | 'after-ledger'
  | 'after-commit'
  | 'import-after-batch'
  | 'import-between-files';

/**
 * Test hook for crash, freeze and stop tests.
 * - SPOTIFY_PIPELINE_PAUSE_AT names a point: the process announces it on stderr and waits there forever, so a
 *   test can SIGKILL it at exactly that step.
 * - SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP: the same wait ends at SIGINT/SIGTERM, so a test sees where the command
 *   then stops (its next safe point).
 * - SPOTIFY_PIPELINE_STOP_AT: the process announces it and stops itself with SIGSTOP, as a frozen container or a
 *   closed laptop would: a test lets time pass and other writers work, then sends SIGCONT and the process goes on
 *   from exactly that step (stopping there only the first time).
 * Costs three environment lookups otherwise.
 */
const stoppedAt = new Set<PausePoint>();

export async function pausePoint(name: PausePoint): Promise<void> {
  // Once per point: a resumed process goes on to the end (a step such as after-object recurs).
  if (names(process.env.SPOTIFY_PIPELINE_STOP_AT).includes(name) && !stoppedAt.has(name)) {
    stoppedAt.add(name);
    // Stopped once the line is out (the test waits for it); SIGCONT resumes right after the kill.
    await new Promise<void>((resolve) =>
      process.stderr.write(`STOPPED AT ${name}\n`, () => {
        process.kill(process.pid, 'SIGSTOP');
        resolve();
      }),
    );
  }
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
