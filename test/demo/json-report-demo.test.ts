import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('--json on report and demo, with the keys of every other summary', () => {
  it('demo --json: one object on stdout (the walk-through on stderr); report --json likewise', async () => {
    const cwd = await tempDir();
    const demo = await runCli(['demo', '--json', '--plays', '300'], { cwd, env: {} });
    expect(demo.code, demo.stderr).toBe(0);
    expect(JSON.parse(demo.stdout)).toEqual({
      ok: true,
      command: 'demo',
      outcome: 'ok',
      exit_code: 0,
      lake: path.join(cwd, 'demo-data'),
      report: path.join(cwd, 'demo-report.html'),
    });
    expect(demo.stderr).toContain('4/4 wrote the HTML report');

    const report = await runCli(
      ['--data-dir', 'demo-data', '--state-dir', 'demo-data/.state', 'report', '--out', 'r.html', '--json'],
      { cwd, env: {} },
    );
    expect(report.code, report.stderr).toBe(0);
    const summary = JSON.parse(report.stdout);
    expect(summary).toMatchObject({
      ok: true,
      command: 'report',
      outcome: 'ok',
      exit_code: 0,
      out: path.join(cwd, 'r.html'),
      failed_objects: 0,
    });
    expect(Object.keys(summary).every((k) => /^[a-z]+(_[a-z]+)*$/.test(k))).toBe(true);
  });
});
