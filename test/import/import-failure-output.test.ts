import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { runCli, tempDir } from '../helpers/cli.js';

const env = { LOG_LEVEL: 'warn' };

describe('import output on failure and success', () => {
  it('a failure before anything is read prints the failure, not a column of zeros; --json says "ok": false', async () => {
    const cwd = await tempDir('import-fail-');
    const human = await runCli(['import', 'nothere.zip'], { cwd, env });
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/^import: FAILED in [\d.]+ s/);
    expect(human.stdout).toContain('nothing was read or written: the lake is as it was');
    expect(human.stdout).not.toContain('files read: 0');
    expect(human.stdout).not.toContain('plays written: 0');
    expect(human.stderr).toContain('error: nothere.zip: no such file or folder');

    const json = await runCli(['import', '--json', 'nothere.zip'], { cwd, env });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(report)[0]).toBe('ok');
    expect(report).toMatchObject({ ok: false, outcome: 'failed', exit_code: 2 });
    expect(report.error).toContain('nothere.zip: no such file or folder');
  });

  it('a successful import --json says "ok": true', async () => {
    const cwd = await tempDir('import-ok-');
    const exportDir = path.join(cwd, 'export');
    await generateExport(exportDir, { plays: 40, seed: 3, rowsPerFile: 40, accountDataDays: 0 });
    const json = await runCli(['import', '--json', exportDir], { cwd, env });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, outcome: 'ok', exit_code: 0 });
  });
});
