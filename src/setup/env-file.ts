import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { writeFileAtomic } from '../fs/fs-atomic.js';

/** One setting `setup` changes in `.env`: `after` undefined removes it. */
export interface EnvChange {
  key: string;
  before?: string;
  after?: string;
}

export interface EnvFile {
  path: string;
  exists: boolean;
  text: string;
  values: Record<string, string>;
}

export async function readEnvFile(cwd: string): Promise<EnvFile> {
  const file = path.join(cwd, '.env');
  try {
    const text = await fs.readFile(file, 'utf8');
    return { path: file, exists: true, text, values: parseDotenv(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { path: file, exists: false, text: '', values: {} };
  }
}

/** Pure: what writing `wanted` into a file holding `current` changes (keys in `wanted` order). */
export function planEnvChanges(
  current: Record<string, string>,
  wanted: Record<string, string | undefined>,
): EnvChange[] {
  const changes: EnvChange[] = [];
  for (const [key, after] of Object.entries(wanted)) {
    const before = current[key] === '' ? undefined : current[key];
    if (before !== after) changes.push({ key, before, after });
  }
  return changes;
}

const isSecret = (key: string) => /SECRET|TOKEN|PASSWORD|PRIVATE_KEY|PASSPHRASE/.test(key);

/** Shows a value, or for a secret only that it is set and its last 4 characters. */
export function shownValue(key: string, value: string | undefined): string {
  if (value === undefined) return '(not set)';
  if (!isSecret(key)) return value;
  return value.length > 8 ? `****${value.slice(-4)}` : '****';
}

/** The changes as lines a person can check before `.env` is written; secrets masked. */
export function describeChanges(changes: EnvChange[]): string[] {
  return changes.map((c) =>
    c.before === undefined
      ? `+ ${c.key}=${shownValue(c.key, c.after)}`
      : c.after === undefined
        ? `- ${c.key} (was ${shownValue(c.key, c.before)})`
        : `~ ${c.key}: ${shownValue(c.key, c.before)} -> ${shownValue(c.key, c.after)}`,
  );
}

/** A value dotenv reads back unchanged: bare when safe, else single-quoted (literal) or double-quoted. */
export function quoteEnvValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+,=-]*$/.test(value)) return value;
  if (!value.includes("'") && !value.includes('\n')) return `'${value}'`;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

/**
 * Pure: the new `.env` text. Changed keys are rewritten where they stand, removed keys dropped, new keys
 * appended; comments and every other setting are kept as they were.
 */
export function renderEnvFile(text: string, changes: EnvChange[]): string {
  const byKey = new Map(changes.map((c) => [c.key, c]));
  const done = new Set<string>();
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    const change = key ? byKey.get(key) : undefined;
    if (!key || !change) {
      out.push(line);
      continue;
    }
    if (done.has(key) || change.after === undefined) continue;
    out.push(`${key}=${quoteEnvValue(change.after)}`);
    done.add(key);
  }
  const added = changes.filter((c) => c.after !== undefined && !done.has(c.key));
  if (added.length && out.length === 0)
    out.push('# Written by `spotify-pipeline setup`. See docs/accounts.md.');
  for (const c of added) out.push(`${c.key}=${quoteEnvValue(c.after!)}`);
  return `${out.join('\n')}\n`;
}

/** `.env` holds the client secret: written atomically with mode 0600. */
export async function writeEnvFile(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, 0o600);
}
