import { describe, expect, it } from 'vitest';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics.js';
import { parsePrometheusText, valueOf } from './prom-text.js';

describe('PipelineMetrics', () => {
  it('counts runs, requests, waits and writes, and computes freshness at scrape time', async () => {
    let now = Date.parse('2026-01-01T12:00:00Z');
    const m = new PipelineMetrics({ now: () => now, defaultMetrics: false });
    m.onResponse('recently-played', 200, 120);
    m.onResponse('recently-played', 0, 30_000);
    m.onRateLimited('recently-played', 2500);
    m.onObjectWritten({ key: 'a', bytes: 100, records: 3, outcome: 'created' });
    m.onObjectWritten({ key: 'b', bytes: 70, records: 2, outcome: 'exists' });
    const account = {
      user_id: 'alice',
      outcome: 'ok' as const,
      plays_fetched: 50,
      plays_new: 3,
      plays_already_present: 47,
      plays_skipped: 0,
      skipped_by_reason: {},
      plays_recovered: 2,
      possible_gap: true,
      files_written: 2,
      bytes_written: 170,
      newest_played_at: '2026-01-01T11:50:00.000Z',
    };
    m.observeRun({
      outcome: 'auth_required',
      duration_ms: 900,
      finished_at: '2026-01-01T12:00:00Z',
      accounts: [account, { ...account, user_id: 'bob', outcome: 'auth_required', newest_played_at: null }],
    });
    const { samples } = parsePrometheusText(await m.registry.metrics());
    const v = (name: string, labels?: Record<string, string>) =>
      valueOf(samples, `spotify_pipeline_${name}`, labels);
    expect(v('api_requests_total', { endpoint: 'recently-played', status: 'network_error' })).toBe(1);
    expect(v('rate_limit_wait_seconds_total', { endpoint: 'recently-played' })).toBe(2.5);
    expect(v('object_writes_total', { outcome: 'exists' })).toBe(1);
    expect(v('bytes_written_total')).toBe(100);
    expect(v('collections_total', { outcome: 'auth_required' })).toBe(1);
    expect(v('collections_total', { outcome: 'ok' })).toBe(0);
    expect(v('last_success_timestamp_seconds')).toBe(0);
    expect(v('plays_written_total', { account: 'alice' })).toBe(5);
    expect(v('plays_written_total', { account: 'bob' })).toBeUndefined();
    expect(v('possible_gap_events_total', { account: 'alice' })).toBe(1);
    expect(v('account_up', { account: 'bob' })).toBe(0);
    expect(v('data_freshness_seconds', { account: 'alice' })).toBe(600);
    now += 60_000;
    const later = parsePrometheusText(await m.registry.metrics()).samples;
    expect(valueOf(later, 'spotify_pipeline_data_freshness_seconds', { account: 'alice' })).toBe(660);
  });
});
