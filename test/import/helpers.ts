import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const BIN = fileURLToPath(new URL('../../bin/spotify-pipeline.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function tempDir(prefix = 'import-test-'): Promise<string> {
  return fs.mkdtemp(path.join(tmpdir(), prefix));
}

/** Runs the built CLI in `cwd`; `until` lets a test kill it when stderr shows a pause point. */
export function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  until?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (until && stderr.includes(`PAUSED AT ${until}`)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    // The lake's lease (`_pipeline/`, outside every dataset) is the writers' bookkeeping, not data.
    if (e.isDirectory() && e.name === '_pipeline') continue;
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out;
}

/** Every file under a lake dataset folder, and every record in its objects. */
export async function readDataset(
  root: string,
): Promise<{ files: string[]; records: Record<string, unknown>[] }> {
  const files = (await walk(root)).sort();
  const records: Record<string, unknown>[] = [];
  for (const f of files) {
    if (!f.endsWith('.json.gz')) continue;
    const text = gunzipSync(await fs.readFile(f)).toString('utf8');
    for (const line of text.split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
  }
  return { files, records };
}

/** The identity of a play as docs/exactly-once.md defines it. */
export const playIdentity = (r: Record<string, unknown>) =>
  `${String(r.user_id)}|${String(r.played_at)}|${String(r.track_id ?? r.track_name)}`;
