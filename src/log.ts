import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config-schema.js';
import { writeAboveStatusLine } from './terminal-status.js';

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
 * The log level of a command. --quiet asks for errors alone. Otherwise LOG_LEVEL or --log-level when given;
 * when not, on a terminal a person reads along and routine progress lines only bury the summary, so warnings
 * and errors only, while a service's log (not a terminal) keeps info.
 */
export function defaultLogLevel(options: { asked?: LogLevel; quiet?: boolean; terminal: boolean }): LogLevel {
  if (options.quiet) return 'error';
  if (options.asked) return options.asked;
  return options.terminal ? 'warn' : 'info';
}

/**
 * Colours on `stream`: only on a terminal, and never when NO_COLOR is set to anything but the empty string
 * (https://no-color.org).
 */
export function colorAllowed(
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/**
 * On a terminal a person reads the log: one readable line per event (redaction still applies, it happens
 * before formatting), written above the progress bar when one is up. Loaded only then, so scripts and services
 * pay nothing for it.
 */
function prettyStderr(): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => NodeJS.WritableStream;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeAboveStatusLine(chunk);
      done();
    },
  });
  return pretty({
    destination,
    sync: true,
    colorize: colorAllowed(),
    singleLine: true,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname,name',
  });
}

/** A logger that discards everything, for library callers and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
