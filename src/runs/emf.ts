import type { Config } from '../config.js';
import type { RunRecord } from './run-record.js';

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

interface MetricSpec {
  name: string;
  unit: CloudWatchUnit;
  value: (run: RunRecord) => number | undefined;
}

const one = (yes: boolean) => (yes ? 1 : 0);

/**
 * Every metric a line can carry (well under the spec's 100 per directive). Imports and collections share the
 * run record's names (PlaysNew, PlaysSkipped, FilesWritten), so one alarm or graph covers both; a figure only
 * one kind of run has is left out of the other's line.
 */
export const RUN_METRICS: readonly MetricSpec[] = [
  { name: 'Runs', unit: 'Count', value: () => 1 },
  { name: 'RunsFailed', unit: 'Count', value: (r) => one(r.outcome === 'failed') },
  { name: 'RunsAuthRequired', unit: 'Count', value: (r) => one(r.outcome === 'auth_required') },
  { name: 'Duration', unit: 'Milliseconds', value: (r) => r.duration_ms },
  { name: 'PlaysFetched', unit: 'Count', value: (r) => (r.api ? r.plays_fetched : undefined) },
  { name: 'PlaysNew', unit: 'Count', value: (r) => r.plays_new },
  { name: 'PlaysAlreadyPresent', unit: 'Count', value: (r) => r.plays_already_present },
  { name: 'PlaysSkipped', unit: 'Count', value: (r) => r.plays_skipped },
  { name: 'PossibleGaps', unit: 'Count', value: (r) => r.api?.possible_gaps },
  { name: 'FilesWritten', unit: 'Count', value: (r) => r.files_written },
  { name: 'BytesWritten', unit: 'Bytes', value: (r) => r.bytes_written },
  { name: 'ApiRequests', unit: 'Count', value: (r) => r.api?.requests },
  { name: 'ApiRetries', unit: 'Count', value: (r) => r.api?.retries },
  { name: 'RateLimited', unit: 'Count', value: (r) => r.api?.rate_limited },
  { name: 'RateLimitWait', unit: 'Milliseconds', value: (r) => r.api?.rate_limit_wait_ms },
  {
    name: 'AccountsFailed',
    unit: 'Count',
    value: (r) => (r.import ? undefined : r.accounts.filter((a) => a.outcome !== 'ok').length),
  },
  { name: 'PlayerPolls', unit: 'Count', value: (r) => r.api?.player_polls },
  {
    name: 'PlayerPlaysNew',
    unit: 'Count',
    value: (r) => (r.api?.player_polls === undefined ? undefined : r.plays_by_source.player),
  },
  { name: 'RowsRead', unit: 'Count', value: (r) => r.import?.rows_read },
  { name: 'EpisodesNew', unit: 'Count', value: (r) => r.import?.episodes_new },
  { name: 'EpisodesAlreadyPresent', unit: 'Count', value: (r) => r.import?.episodes_already_present },
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
function singleAccount(run: RunRecord): string | undefined {
  const distinct = [...new Set(run.import ? run.import.users : run.accounts.map((a) => a.user_id))];
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
  run: RunRecord,
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
  run: RunRecord,
  out: { write(line: string): unknown } = process.stderr,
): void {
  if (config.metrics.format !== 'emf') return;
  try {
    out.write(`${JSON.stringify(buildEmfDocument(run, { namespace: config.metrics.namespace }))}\n`);
  } catch {
    // A closed stderr must not turn a finished run into a failure.
  }
}
