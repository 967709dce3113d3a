/** The steps a crash or freeze test can stop a process at (the failpoints of the commit protocol). */
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
  | 'import-after-batch';

/**
 * Test hook for crash and freeze tests. When SPOTIFY_PIPELINE_PAUSE_AT names this point, the process announces
 * it on stderr and waits there forever, so a test can SIGKILL it at exactly that step. When
 * SPOTIFY_PIPELINE_STOP_AT names it, the process announces it and stops itself with SIGSTOP, as a frozen
 * container or a closed laptop would: a test lets time pass and other writers work, then sends SIGCONT and
 * the process goes on from exactly that step (stopping there only the first time). Costs one environment lookup otherwise.
 */
const stoppedAt = new Set<PausePoint>();

export async function pausePoint(name: PausePoint): Promise<void> {
  const stopAt = process.env.SPOTIFY_PIPELINE_STOP_AT;
  // Once per point: a resumed process goes on to the end (a step such as after-object recurs).
  if (stopAt?.split(',').includes(name) && !stoppedAt.has(name)) {
    stoppedAt.add(name);
    // Stopped once the line is out (the test waits for it); SIGCONT resumes right after the kill.
    await new Promise<void>((resolve) =>
      process.stderr.write(`STOPPED AT ${name}\n`, () => {
        process.kill(process.pid, 'SIGSTOP');
        resolve();
      }),
    );
  }
  const wanted = process.env.SPOTIFY_PIPELINE_PAUSE_AT;
  if (!wanted || !wanted.split(',').includes(name)) return;
  process.stderr.write(`PAUSED AT ${name}\n`);
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}
