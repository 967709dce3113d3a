import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openStateStore } from '../state/open-state-store.js';
import { loadHistoryRollup } from './rollup-store.js';
import { statsFromRollup, type PipelineStats } from './stats.js';

/** The pipeline figures of `stats`: the run history (incrementally, via its rollup), no lake listing. */
export async function loadPipelineStats(
  config: Config,
  log: Logger,
  options: { timeZone: string; account?: string; now?: Date },
): Promise<PipelineStats> {
  const now = options.now ?? new Date();
  const rollup = await loadHistoryRollup(await openStateStore(config), { nowMs: now.getTime(), log });
  return statsFromRollup(rollup, { ...options, now });
}
