import type { Config } from '../config.js';
import { readRunHistory } from '../state/run-history.js';
import { computePipelineStats, type PipelineStats } from './pipeline-stats.js';

/** The pipeline figures of `stats`: one read of the run history, no lake listing. */
export async function loadPipelineStats(
  config: Config,
  options: { timeZone: string; account?: string; now?: Date },
): Promise<PipelineStats> {
  const history = await readRunHistory(config.stateDir);
  return computePipelineStats(history, options);
}
