import type { ChildProcess } from 'node:child_process';
import { collectorFixture } from '../collect/fixture.js';
import { collect, startCli, type CliResult } from '../helpers/cli.js';

/** One pino JSON line of the CLI's stderr. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {};
      }
    });
}

/** A running `run-continuous` child: its log as it comes, and a way to wait for a log line. */
export class RunningCli {
  stderr = '';
  stdout = '';
  readonly done: Promise<CliResult>;
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    this.done = collect(child);
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr += c.toString();
      this.check();
    });
  }

  get lines(): LogLine[] {
    return logLines(this.stderr);
  }

  private check() {
    const lines = this.lines;
    for (const w of [...this.waiters]) {
      const hit = lines.find(w.test);
      if (hit) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(hit);
      }
    }
  }

  /** Resolves with the first log line (past or future) that passes `test`; rejects on exit or timeout. */
  waitFor(test: (l: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const hit = this.lines.find(test);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; log so far:\n${this.stderr}`)),
        timeoutMs,
      );
      const entry = {
        test,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(entry);
      void this.done.then(() => {
        clearTimeout(timer);
        if (this.waiters.includes(entry)) reject(new Error(`the CLI exited before ${what}:\n${this.stderr}`));
      });
    });
  }

  /** Waits until `count` collections have finished. */
  collections(count: number, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor(
      () => this.lines.filter((l) => l.msg === 'collection finished').length >= count,
      `${count} finished collections`,
      timeoutMs,
    );
  }

  finishedCollections(): LogLine[] {
    return this.lines.filter((l) => l.msg === 'collection finished');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
    this.child.kill(signal);
    return this.done;
  }
}

/** The collector fixture plus a way to start `run-continuous` in its folder. */
export async function continuousFixture(userId = 'alice') {
  const fx = await collectorFixture(userId);
  return {
    ...fx,
    start(args: string[], extraEnv: Record<string, string | undefined> = {}): RunningCli {
      return new RunningCli(
        startCli(['run-continuous', ...args], {
          cwd: fx.cwd,
          // No retry sleeps inside one collection: the loop's own retry is under test.
          env: { SPOTIFY_MAX_RETRIES: '0', ...fx.env, ...extraEnv },
        }),
      );
    },
  };
}

/** The metrics server URL a run logged (`--metrics-port 0` picks a free port). */
export async function metricsUrl(run: RunningCli): Promise<string> {
  const line = await run.waitFor((l) => typeof l.url === 'string', 'the metrics server URL');
  return String(line.url);
}
