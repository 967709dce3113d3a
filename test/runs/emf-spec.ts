/**
 * The rules of the CloudWatch Embedded Metric Format specification, checked independently of the code that
 * builds documents (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * - the log event is one JSON object with nothing before or after it;
 * - `_aws` is an object with `Timestamp` (an integer: milliseconds since the epoch) and `CloudWatchMetrics`
 *   (an array of MetricDirectives), and nothing else;
 * - a MetricDirective has exactly Namespace (1-255 chars), Dimensions (an array of at least one DimensionSet)
 *   and Metrics (at most 100 MetricDefinitions);
 * - a DimensionSet is an array of at most 30 (9 in the first version of the spec) dimension names, each a
 *   root member with a string value;
 * - a MetricDefinition has Name (a root member: a number, or an array of at most 100 numbers) and an optional
 *   Unit among CloudWatch's units, and nothing else (StorageResolution is allowed: 1 or 60);
 * - the whole event is at most 1 MB (256 KB in the first version).
 */
export const SPEC_UNITS = new Set(
  'Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second None'.split(
    ' ',
  ),
);

const MAX_DIMENSIONS = 9; // the stricter (older) limit: valid under both versions
const MAX_EVENT_BYTES = 256 * 1024;

function onlyKeys(obj: Record<string, unknown>, allowed: string[], where: string, problems: string[]) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push(`${where} has extra member ${k}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems of one log line read as an EMF document; empty when it is valid. */
export function emfProblems(line: string): string[] {
  const problems: string[] = [];
  if (Buffer.byteLength(line) > MAX_EVENT_BYTES) problems.push('event larger than 256 KB');
  if (line !== line.trim()) problems.push('data before or after the JSON object');
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return ['not JSON'];
  }
  if (!isObject(root)) return ['root is not an object'];
  const aws = root._aws;
  if (!isObject(aws)) return ['_aws missing or not an object'];
  onlyKeys(aws, ['Timestamp', 'CloudWatchMetrics'], '_aws', problems);
  if (!Number.isInteger(aws.Timestamp)) problems.push('Timestamp is not an integer');
  // Milliseconds, not seconds: a seconds value would be in January 1970.
  else if ((aws.Timestamp as number) < 1e12) problems.push('Timestamp is not in milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics)) return [...problems, 'CloudWatchMetrics is not an array'];
  for (const [i, d] of aws.CloudWatchMetrics.entries()) {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isObject(d)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    onlyKeys(d, ['Namespace', 'Dimensions', 'Metrics'], at, problems);
    if (typeof d.Namespace !== 'string' || d.Namespace.length < 1 || d.Namespace.length > 255)
      problems.push(`${at}.Namespace must be a string of 1-255 characters`);
    if (!Array.isArray(d.Dimensions) || d.Dimensions.length < 1)
      problems.push(`${at}.Dimensions must be an array of at least one DimensionSet`);
    else
      for (const set of d.Dimensions as unknown[]) {
        if (!Array.isArray(set)) {
          problems.push(`${at}: a DimensionSet is not an array`);
          continue;
        }
        if (set.length > MAX_DIMENSIONS) problems.push(`${at}: a DimensionSet has more than 9 keys`);
        for (const name of set) {
          if (typeof name !== 'string') problems.push(`${at}: a dimension name is not a string`);
          else if (typeof root[name] !== 'string')
            problems.push(`${at}: dimension ${name} is not a root member with a string value`);
        }
      }
    if (!Array.isArray(d.Metrics)) {
      problems.push(`${at}.Metrics is not an array`);
      continue;
    }
    if (d.Metrics.length > 100) problems.push(`${at}.Metrics has more than 100 definitions`);
    for (const m of d.Metrics as unknown[]) {
      if (!isObject(m) || typeof m.Name !== 'string' || m.Name.length < 1 || m.Name.length > 255) {
        problems.push(`${at}: a MetricDefinition has no Name of 1-255 characters`);
        continue;
      }
      onlyKeys(m, ['Name', 'Unit', 'StorageResolution'], `${at} ${m.Name}`, problems);
      if (m.Unit !== undefined && !SPEC_UNITS.has(m.Unit as string))
        problems.push(`${at} ${m.Name}: unit ${String(m.Unit)} is not a CloudWatch unit`);
      const target = root[m.Name];
      const numeric = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
      const ok = numeric(target) || (Array.isArray(target) && target.length <= 100 && target.every(numeric));
      if (!ok) problems.push(`${at} ${m.Name}: not a root member with a numeric value`);
    }
  }
  return problems;
}

/** The EMF lines among a process's output lines. */
export function emfLines(output: string): string[] {
  return output.split('\n').filter((l) => l.includes('"_aws"'));
}
