import type { Event, NotificationConfiguration, QueueConfiguration, S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { s3Error, sdk, statusOf } from './s3-client.js';

/** The rule a pipe needs: new `.json.gz` objects under its prefix go to the pipe's SQS queue. */
export interface QueueRule {
  id: string;
  queueArn: string;
  prefix: string;
  suffix: string;
}

const CREATED_EVENT: Event = 's3:ObjectCreated:*';

interface AnyRule {
  kind: 'queue' | 'topic' | 'lambda';
  id?: string;
  destination: string;
  events: string[];
  prefix: string;
  suffix: string;
}

type FilterHolder = { Filter?: { Key?: { FilterRules?: { Name?: string; Value?: string }[] } } };

function filterValue(rule: FilterHolder, name: 'prefix' | 'suffix'): string {
  const found = rule.Filter?.Key?.FilterRules?.find((r) => r.Name?.toLowerCase() === name);
  return found?.Value ?? '';
}

function toRule(
  kind: AnyRule['kind'],
  rule: FilterHolder & { Id?: string; Events?: AnyRule['events'] },
  destination: string | undefined,
): AnyRule {
  return {
    kind,
    id: rule.Id,
    destination: destination ?? '',
    events: rule.Events ?? [],
    prefix: filterValue(rule, 'prefix'),
    suffix: filterValue(rule, 'suffix'),
  };
}

function allRules(config: NotificationConfiguration): AnyRule[] {
  return [
    ...(config.QueueConfigurations ?? []).map((q) => toRule('queue', q, q.QueueArn)),
    ...(config.TopicConfigurations ?? []).map((t) => toRule('topic', t, t.TopicArn)),
    ...(config.LambdaFunctionConfigurations ?? []).map((l) => toRule('lambda', l, l.LambdaFunctionArn)),
  ];
}

function eventCovers(a: string, b: string): boolean {
  return a === b || (a.endsWith('*') && b.startsWith(a.slice(0, -1)));
}

/** S3 refuses two rules whose event types intersect and whose prefix and suffix filters can match one key. */
export function rulesOverlap(
  a: Pick<AnyRule, 'events' | 'prefix' | 'suffix'>,
  b: Pick<AnyRule, 'events' | 'prefix' | 'suffix'>,
): boolean {
  const events = a.events.some((x) => b.events.some((y) => eventCovers(x, y) || eventCovers(y, x)));
  const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return events && prefixes && suffixes;
}

export interface MergeResult {
  config: NotificationConfiguration;
  changed: boolean;
  actions: { id: string; action: 'unchanged' | 'added' | 'replaced' }[];
}

/**
 * Adds our rules to a bucket's notification configuration, keeping every other rule (PutBucketNotification
 * replaces the whole configuration). A rule of ours from an earlier setup (same Id) is updated in place; an
 * equal rule is left alone; a foreign rule that would overlap ours is refused, since S3 would reject the
 * configuration and silently re-pointing someone else's notifications is not ours to do.
 */
export function mergeQueueRules(existing: NotificationConfiguration, wanted: QueueRule[]): MergeResult {
  let queues = [...(existing.QueueConfigurations ?? [])];
  const actions: MergeResult['actions'] = [];
  for (const rule of wanted) {
    const desired: QueueConfiguration = {
      Id: rule.id,
      QueueArn: rule.queueArn,
      Events: [CREATED_EVENT],
      Filter: {
        Key: {
          FilterRules: [
            { Name: 'prefix' as const, Value: rule.prefix },
            { Name: 'suffix' as const, Value: rule.suffix },
          ],
        },
      },
    };
    const asRule = { events: [CREATED_EVENT as string], prefix: rule.prefix, suffix: rule.suffix };
    const same = queues.find(
      (q) =>
        q.QueueArn === rule.queueArn &&
        filterValue(q, 'prefix') === rule.prefix &&
        filterValue(q, 'suffix') === rule.suffix &&
        (q.Events ?? []).some((e) => eventCovers(e, CREATED_EVENT)),
    );
    if (same) {
      actions.push({ id: same.Id ?? rule.id, action: 'unchanged' });
      continue;
    }
    const ours = queues.findIndex((q) => q.Id === rule.id);
    const others = allRules({ ...existing, QueueConfigurations: queues.filter((_, i) => i !== ours) });
    const clash = others.find((o) => rulesOverlap(o, asRule));
    if (clash) {
      throw new PipelineError(
        `The bucket already has a notification rule that overlaps the one Snowpipe needs: ${clash.kind} rule "${clash.id ?? '(no id)'}" sends ${clash.events.join(', ')} for prefix "${clash.prefix}" suffix "${clash.suffix}" to ${clash.destination}, and S3 refuses overlapping rules. ` +
          `Fix: narrow or remove that rule, or send it to the pipe's queue ${rule.queueArn}; or set SNOWPIPE_MODE=rest to load without bucket notifications; or run \`snowflake setup --no-notification\` and set it yourself. Nothing was changed.`,
        1,
      );
    }
    if (ours >= 0) {
      queues = queues.map((q, i) => (i === ours ? desired : q));
      actions.push({ id: rule.id, action: 'replaced' });
    } else {
      queues.push(desired);
      actions.push({ id: rule.id, action: 'added' });
    }
  }
  const changed = actions.some((a) => a.action !== 'unchanged');
  return { config: { ...existing, QueueConfigurations: queues }, changed, actions };
}

/** Read, merge, write: the bucket's notification configuration with our rules added. */
export async function applyBucketNotification(
  client: S3Client,
  bucket: string,
  wanted: QueueRule[],
): Promise<MergeResult> {
  const { GetBucketNotificationConfigurationCommand, PutBucketNotificationConfigurationCommand } =
    await sdk();
  let current: NotificationConfiguration;
  try {
    const out = await client.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    current = {
      ...(out.QueueConfigurations?.length ? { QueueConfigurations: out.QueueConfigurations } : {}),
      ...(out.TopicConfigurations?.length ? { TopicConfigurations: out.TopicConfigurations } : {}),
      ...(out.LambdaFunctionConfigurations?.length
        ? { LambdaFunctionConfigurations: out.LambdaFunctionConfigurations }
        : {}),
      ...(out.EventBridgeConfiguration ? { EventBridgeConfiguration: out.EventBridgeConfiguration } : {}),
    };
  } catch (err) {
    throw notificationError(
      bucket,
      'read the notification configuration of',
      's3:GetBucketNotification',
      err,
    );
  }
  const merged = mergeQueueRules(current, wanted);
  if (!merged.changed) return merged;
  try {
    await client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: merged.config,
      }),
    );
  } catch (err) {
    throw notificationError(
      bucket,
      'write the notification configuration of',
      's3:PutBucketNotification',
      err,
    );
  }
  return merged;
}

function notificationError(bucket: string, action: string, permission: string, err: unknown): PipelineError {
  if (statusOf(err) === 403) {
    return new PipelineError(
      `Cannot ${action} s3://${bucket}: access denied. Fix: allow ${permission} on the bucket for these AWS credentials, or run \`snowflake setup --no-notification\` and add the rule printed there yourself.`,
      1,
      { cause: err },
    );
  }
  return s3Error(bucket, `${action.split(' ')[0]} notification configuration`, err);
}
