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
export function createLogger(level: LogLevel, destination: NodeJS.WritableStream = process.stderr): Logger {
  const paths = SECRET_PATHS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { name: 'spotify-pipeline' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that discards everything, for library callers and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
