import type { Config } from '../config.js';

/**
 * CloudWatch Embedded Metric Format: a run's summary as one JSON log line whose `_aws` block tells
 * CloudWatch Logs which members are metrics, so ECS/Lambda/Kubernetes logs become metrics with no agent.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** The units CloudWatch accepts (MetricDatum.Unit); the spec's schema allows exactly these. */
export const CLOUDWATCH_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type CloudWatchUnit = (typeof CLOUDWATCH_UNITS)[number];

/**
 * What a run summary may carry: the collector's RunSummary, the import's ImportReport and the run-history
 * entry of a crashed tick all fit. A metric whose field a summary lacks is left out of its line.
 */
export interface RunMetricsSource {
  run_id?: string;
  command: string;
  outcome: string;
  finished_at?: string;
  duration_ms?: number;
  lake?: string;
  // collections
  plays_fetched?: number;
  plays_new?: number;
  plays_already_present?: number;
  plays_skipped?: number;
  possible_gaps?: number;
  files_written?: number;
  bytes_written?: number;
  api_requests?: number;
  retries?: number;
  rate_limited?: number;
  rate_limit_wait_ms?: number;
  accounts?: readonly { user_id: string; outcome: string }[];
  /** run-continuous: reads of the player and plays it wrote since the previous collection. */
  player_polls?: number;
  player_plays_new?: number;
  // imports
  rows_read?: number;
  rows_written?: number;
  rows_skipped?: number;
  episodes_written?: number;
  episodes_already_present?: number;
  objects_written?: number;
  users?: readonly string[];
}

interface MetricSpec {
  name: string;
  unit: CloudWatchUnit;
  value: (run: RunMetricsSource) => number | undefined;
}

const one = (yes: boolean) => (yes ? 1 : 0);

/**
 * Every metric a line can carry (well under the spec's 100 per directive). Imports report their plays under
 * the collector's names (PlaysNew, PlaysSkipped, FilesWritten), as the run history does, so one alarm or
 * graph covers both.
 */
export const RUN_METRICS: readonly MetricSpec[] = [
  { name: 'Runs', unit: 'Count', value: () => 1 },
  { name: 'RunsFailed', unit: 'Count', value: (r) => one(r.outcome === 'failed') },
  { name: 'RunsAuthRequired', unit: 'Count', value: (r) => one(r.outcome === 'auth_required') },
  { name: 'Duration', unit: 'Milliseconds', value: (r) => r.duration_ms },
  { name: 'PlaysFetched', unit: 'Count', value: (r) => r.plays_fetched },
  { name: 'PlaysNew', unit: 'Count', value: (r) => r.plays_new ?? r.rows_written },
  { name: 'PlaysAlreadyPresent', unit: 'Count', value: (r) => r.plays_already_present },
  { name: 'PlaysSkipped', unit: 'Count', value: (r) => r.plays_skipped ?? r.rows_skipped },
  { name: 'PossibleGaps', unit: 'Count', value: (r) => r.possible_gaps },
  { name: 'FilesWritten', unit: 'Count', value: (r) => r.files_written ?? r.objects_written },
  { name: 'BytesWritten', unit: 'Bytes', value: (r) => r.bytes_written },
  { name: 'ApiRequests', unit: 'Count', value: (r) => r.api_requests },
  { name: 'ApiRetries', unit: 'Count', value: (r) => r.retries },
  { name: 'RateLimited', unit: 'Count', value: (r) => r.rate_limited },
  { name: 'RateLimitWait', unit: 'Milliseconds', value: (r) => r.rate_limit_wait_ms },
  {
    name: 'AccountsFailed',
    unit: 'Count',
    value: (r) => r.accounts && r.accounts.filter((a) => a.outcome !== 'ok').length,
  },
  { name: 'PlayerPolls', unit: 'Count', value: (r) => r.player_polls },
  { name: 'PlayerPlaysNew', unit: 'Count', value: (r) => r.player_plays_new },
  { name: 'RowsRead', unit: 'Count', value: (r) => r.rows_read },
  { name: 'EpisodesNew', unit: 'Count', value: (r) => r.episodes_written },
  { name: 'EpisodesAlreadyPresent', unit: 'Count', value: (r) => r.episodes_already_present },
];

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: CloudWatchUnit }[];
    }[];
  };
  [member: string]: unknown;
}

/** The one account a run covered, if it covered exactly one: a plain member then (not a dimension). */
function singleAccount(run: RunMetricsSource): string | undefined {
  const ids = run.accounts ? run.accounts.map((a) => a.user_id) : (run.users ?? []);
  const distinct = [...new Set(ids)];
  return distinct.length === 1 ? distinct[0] : undefined;
}

/**
 * The EMF document of one run. One dimension set, Command (run-once, backfill, import, run-continuous).
 * Not the account: "whenever you add a unique name/value pair to one of your metrics, you are creating a new
 * variation of that metric" (CloudWatch API_Dimension.html), each billed as a custom metric, so a second set
 * per account doubled the bill of a personal deployment; and a dimension value (the Spotify user id) is
 * visible to anyone who can list metrics. The account, outcome, run id and lake ride along as plain members:
 * searchable in Logs Insights (per-account alarms: a metric filter on the log group), no metric cardinality.
 */
export function buildEmfDocument(
  run: RunMetricsSource,
  options: { namespace: string; now?: () => number },
): EmfDocument {
  const finished = run.finished_at ? Date.parse(run.finished_at) : Number.NaN;
  const timestamp = Math.trunc(Number.isFinite(finished) ? finished : (options.now ?? Date.now)());
  const values: Record<string, number> = {};
  const metrics: { Name: string; Unit: CloudWatchUnit }[] = [];
  for (const spec of RUN_METRICS) {
    const value = spec.value(run);
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    values[spec.name] = value;
    metrics.push({ Name: spec.name, Unit: spec.unit });
  }
  const account = singleAccount(run);
  const dimensions: string[][] = [['Command']];
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: options.namespace, Dimensions: dimensions, Metrics: metrics }],
    },
    Command: run.command,
    ...(account ? { Account: account } : {}),
    Outcome: run.outcome,
    ...(run.run_id ? { RunId: run.run_id } : {}),
    ...(run.lake ? { Lake: run.lake } : {}),
    ...values,
  };
}

/**
 * With METRICS_FORMAT=emf, prints the run's EMF line on stderr. stderr, not stdout: stdout is the command's
 * product (the summary a person reads, or `--json`'s single object a script parses), stderr is the log
 * stream; the awslogs driver, Lambda and Kubernetes' log collectors take both. One write of one whole line,
 * never interleaved with a log line. It never fails the run.
 */
export function emitRunMetrics(
  config: Pick<Config, 'metrics'>,
  run: RunMetricsSource,
  out: { write(line: string): unknown } = process.stderr,
): void {
  if (config.metrics.format !== 'emf') return;
  try {
    out.write(`${JSON.stringify(buildEmfDocument(run, { namespace: config.metrics.namespace }))}\n`);
  } catch {
    // A closed stderr must not turn a finished run into a failure.
  }
}
