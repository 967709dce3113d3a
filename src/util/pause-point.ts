/**
 * Test hook for crash-safety tests: when SPOTIFY_PIPELINE_PAUSE_AT names this point, the process announces
 * it on stderr and waits there forever, so a test can SIGKILL it at exactly that step.
 * Costs one environment lookup otherwise.
 */
export async function pausePoint(name: string): Promise<void> {
  const wanted = process.env.SPOTIFY_PIPELINE_PAUSE_AT;
  if (!wanted || !wanted.split(',').includes(name)) return;
  process.stderr.write(`PAUSED AT ${name}\n`);
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}
