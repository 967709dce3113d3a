import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** The result of checking one configured connection, shown as one line by `test`. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** A connection check; returns one result per thing it checked (one per Spotify account, say). */
export type ConnectionCheck = (config: Config, log: Logger) => Promise<CheckResult[]>;
