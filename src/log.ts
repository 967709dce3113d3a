import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_PATHS = [
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'code_verifier',
  'authorization',
  'password',
  'passphrase',
  'privateKey',
  'token',
];

/**
 * JSON lines on stderr, so stdout stays free for summaries and `--json` output.
 * Secrets are redacted at any depth up to two levels, which covers every object this project logs.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const paths = SECRET_PATHS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { name: 'spotify-pipeline' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (process.stderr.isTTY ? prettyStderr() : process.stderr),
  );
}

/**
 * On a terminal a person reads the log: one readable line per event (redaction still applies, it happens
 * before formatting). Loaded only then, so scripts and services pay nothing for it.
 */
function prettyStderr(): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => NodeJS.WritableStream;
  return pretty({
    destination: 2,
    sync: true,
    singleLine: true,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname,name',
  });
}

/** A logger that discards everything, for library callers and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
