import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';

/** Settings whose value is a credential (a path or ARN naming one is not). */
export function isSecretSetting(name: string): boolean {
  return /SECRET|TOKEN|PASSWORD|PASSPHRASE|PRIVATE_KEY/.test(name) && !/_(PATH|FILE|URL|ARN)$/.test(name);
}

/**
 * The warning for a `.env` that other users can read while it holds credentials (empty: none to give). Pure:
 * the file's permission bits and content are given.
 */
export function envFileWarning(file: string, mode: number, text: string): string {
  if ((mode & 0o077) === 0) return '';
  const secrets = Object.entries(parseDotenv(text))
    .filter(([name, value]) => isSecretSetting(name) && value.trim() !== '')
    .map(([name]) => name);
  if (secrets.length === 0) return '';
  const who = mode & 0o007 ? 'every user of this machine' : 'its group';
  return `warning: ${file} holds ${secrets.join(', ')} and is readable by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run \`chmod 600 ${path.basename(file)}\` (in ${path.dirname(file)}).`;
}

/** envFileWarning for the `.env` of `cwd`, if there is one; never throws (loading the settings reports errors). */
export function checkEnvFile(cwd: string): string {
  const file = path.join(cwd, '.env');
  try {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || (stat.mode & 0o077) === 0) return '';
    return envFileWarning(file, stat.mode, readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}
