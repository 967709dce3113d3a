import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyBucketNotification,
  mergeQueueRules,
  rulesOverlap,
  type QueueRule,
} from '../../src/aws/bucket-notification.js';
import { createS3Client } from '../../src/aws/s3-client.js';
import { NotificationS3Proxy, startS3rver, tempDir } from './helpers.js';

const QUEUE = 'arn:aws:sqs:us-east-1:111122223333:sf-snowpipe-AIDAEXAMPLE-abc';
const ours: QueueRule = {
  id: 'snowpipe-spotify-listening-history',
  queueArn: QUEUE,
  prefix: 'spotify_listening_history/',
  suffix: '.json.gz',
};

const rule = (prefix: string, suffix: string, events = ['s3:ObjectCreated:*']) => ({
  events,
  prefix,
  suffix,
});

describe('overlap', () => {
  it('follows S3: event types intersect and prefix and suffix filters can match one key', () => {
    expect(rulesOverlap(rule('a/', '.gz'), rule('a/b/', '.json.gz'))).toBe(true);
    expect(rulesOverlap(rule('', ''), rule('a/', '.gz'))).toBe(true);
    expect(rulesOverlap(rule('a/', '.gz'), rule('b/', '.gz'))).toBe(false);
    expect(rulesOverlap(rule('a/', '.gz'), rule('a/', '.csv'))).toBe(false);
    expect(rulesOverlap(rule('a/', ''), rule('a/', '', ['s3:ObjectRemoved:*']))).toBe(false);
    expect(rulesOverlap(rule('a/', ''), rule('a/', '', ['s3:ObjectCreated:Put']))).toBe(true);
  });
});

describe('merge', () => {
  it('adds our rule and keeps every other rule', () => {
    const existing = {
      TopicConfigurations: [
        {
          Id: 'thumbs',
          TopicArn: 'arn:aws:sns:us-east-1:1:t',
          Events: ['s3:ObjectCreated:*' as const],
          Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'images/' }] } },
        },
      ],
      QueueConfigurations: [
        { Id: 'logs', QueueArn: 'arn:aws:sqs:us-east-1:1:q', Events: ['s3:ObjectRemoved:*' as const] },
      ],
    };
    const merged = mergeQueueRules(existing, [ours]);
    expect(merged.changed).toBe(true);
    expect(merged.actions).toEqual([{ id: ours.id, action: 'added' }]);
    expect(merged.config.TopicConfigurations).toEqual(existing.TopicConfigurations);
    expect(merged.config.QueueConfigurations).toHaveLength(2);
    expect(merged.config.QueueConfigurations![1]).toMatchObject({
      QueueArn: QUEUE,
      Events: ['s3:ObjectCreated:*'],
    });
  });

  it('leaves an equal rule alone and updates our own rule in place when the queue changed', () => {
    const once = mergeQueueRules({}, [ours]).config;
    expect(mergeQueueRules(once, [ours]).changed).toBe(false);
    const moved = mergeQueueRules(once, [{ ...ours, queueArn: `${QUEUE}-new` }]);
    expect(moved.actions[0]!.action).toBe('replaced');
    expect(moved.config.QueueConfigurations).toHaveLength(1);
    expect(moved.config.QueueConfigurations![0]!.QueueArn).toBe(`${QUEUE}-new`);
  });

  it('refuses a foreign rule that overlaps, with a clear message, changing nothing', () => {
    const existing = {
      LambdaFunctionConfigurations: [
        {
          Id: 'everything',
          LambdaFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
          Events: ['s3:ObjectCreated:*' as const],
        },
      ],
    };
    expect(() => mergeQueueRules(existing, [ours])).toThrow(
      /lambda rule "everything".*overlaps|overlaps.*lambda rule "everything"/s,
    );
    expect(() => mergeQueueRules(existing, [ours])).toThrow(/SNOWPIPE_MODE=rest/);
  });
});

describe('read, merge, write against S3 on loopback', () => {
  let proxy: NotificationS3Proxy;
  let stopS3: () => Promise<void>;
  let endpoint: string;
  beforeAll(async () => {
    // s3rver's default credentials.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const s3 = await startS3rver(await tempDir('s3n'), 'lake');
    stopS3 = s3.stop;
    proxy = new NotificationS3Proxy(s3.url);
    endpoint = await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
    await stopS3();
  });

  it('keeps the existing rules, writes once, and is a no-op the second time', async () => {
    const client = await createS3Client({
      bucket: 'lake',
      endpointUrl: endpoint,
      dataDir: '/tmp',
      prefix: 'spotify_listening_history/',
    });
    const { PutBucketNotificationConfigurationCommand, GetBucketNotificationConfigurationCommand } =
      await import('@aws-sdk/client-s3');
    await client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'lake',
        NotificationConfiguration: {
          TopicConfigurations: [
            {
              Id: 'images',
              TopicArn: 'arn:aws:sns:us-east-1:1:t',
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'images/' }] } },
            },
          ],
        },
      }),
    );
    const puts = proxy.puts;
    const first = await applyBucketNotification(client, 'lake', [
      ours,
      { ...ours, id: 'snowpipe-spotify-episode-history', prefix: 'spotify_episode_history/' },
    ]);
    expect(first.actions.map((a) => a.action)).toEqual(['added', 'added']);
    expect(proxy.puts).toBe(puts + 1);
    const now = await client.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'lake' }));
    expect(now.TopicConfigurations?.[0]?.Id).toBe('images');
    expect(now.QueueConfigurations?.map((q) => q.Id)).toEqual([
      'snowpipe-spotify-listening-history',
      'snowpipe-spotify-episode-history',
    ]);
    const filter = now.QueueConfigurations?.[0]?.Filter?.Key?.FilterRules?.map(
      (r) => `${r.Name?.toLowerCase()}=${r.Value}`,
    );
    expect(filter).toEqual(['prefix=spotify_listening_history/', 'suffix=.json.gz']);
    const again = await applyBucketNotification(client, 'lake', [ours]);
    expect(again.changed).toBe(false);
    expect(proxy.puts).toBe(puts + 1);
  });
});
