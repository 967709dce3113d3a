import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CheckResult, ConnectionCheck } from './check.js';
import { spotifyCheck } from './spotify-check.js';
import { stateCheck } from './state-check.js';
import { storageCheck } from './storage-check.js';
import { transformCheck } from './transform-check.js';
import { snowflakeCheck } from '../snowflake/check.js';

/** Every connection check `test` runs; each configured integration adds its own here. */
export const CONNECTION_CHECKS: ConnectionCheck[] = [
  spotifyCheck,
  storageCheck,
  stateCheck,
  transformCheck,
  snowflakeCheck,
];

export async function runChecks(config: Config, log: Logger): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of CONNECTION_CHECKS) results.push(...(await check(config, log)));
  return results;
}
