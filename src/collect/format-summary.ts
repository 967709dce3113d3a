import type { RunSummary } from './run-collection.js';

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** The human summary of a run: what happened, in plain words, with every figure the JSON has. */
export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const status =
    s.outcome === 'ok' ? 'done' : s.outcome === 'auth_required' ? 'Spotify login needed' : 'FAILED';
  lines.push(`${s.command}: ${status} in ${(s.duration_ms / 1000).toFixed(2)} s  (lake: ${s.lake})`);
  if (s.accounts.length === 0) {
    // Nothing was collected at all (no account, bad credentials): the error is the whole story.
    for (const e of s.errors) lines.push(`  error: ${e}`);
    return lines.join('\n');
  }
  for (const a of s.accounts) {
    if (a.outcome !== 'ok') {
      lines.push(`  ✗ ${a.user_id}: ${a.error}`);
      continue;
    }
    const reasons = Object.entries(a.skipped_by_reason)
      .map(([r, n]) => `${n} ${r.replaceAll('_', ' ')}`)
      .join(', ');
    lines.push(
      `  ✓ ${a.user_id}: ${a.plays_fetched} fetched, ${a.plays_new} new, ${a.plays_already_present} already present, ${a.plays_skipped} skipped${reasons ? ` (${reasons})` : ''}${a.plays_recovered ? `, ${a.plays_recovered} finished from an interrupted run` : ''}`,
    );
    if (a.possible_gap) {
      lines.push(
        `    ! possible gap: none of this full page was seen before; plays may have been missed (poll more often; \`import\` fills gaps)`,
      );
    }
  }
  lines.push(
    `  plays: ${s.plays_fetched} fetched, ${s.plays_new} new, ${s.plays_already_present} already present, ${s.plays_skipped} skipped, ${s.possible_gaps} possible gap${s.possible_gaps === 1 ? '' : 's'}`,
  );
  lines.push(`  files written: ${s.files_written} (${kb(s.bytes_written)})`);
  for (const f of s.files) lines.push(`    ${f}`);
  lines.push(
    `  API requests: ${s.api_requests}, retries: ${s.retries}, rate-limited (429): ${s.rate_limited}${s.rate_limit_wait_ms ? ` (waited ${(s.rate_limit_wait_ms / 1000).toFixed(1)} s)` : ''}`,
  );
  for (const e of s.errors.filter((e) => !s.accounts.some((a) => e.startsWith(`${a.user_id}: `)))) {
    lines.push(`  error: ${e}`);
  }
  return lines.join('\n');
}
