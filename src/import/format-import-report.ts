import type { ImportReport } from './run-import.js';

const n = (v: number) => v.toLocaleString('en-US');
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The human report of an import: every figure of the JSON, in plain words. */
export function formatImportReport(r: ImportReport): string {
  const lines: string[] = [];
  const status =
    r.outcome === 'ok' ? 'done' : r.outcome === 'auth_required' ? 'Spotify login needed' : 'FAILED';
  lines.push(`import: ${status} in ${(r.duration_ms / 1000).toFixed(2)} s  (lake: ${r.lake})`);
  if (r.resumed) lines.push('  resumed: an earlier import of these files had already committed part of them');
  lines.push(
    `  found: ${r.files_found.extended} Extended Streaming History file(s), ${r.files_found.account_data} Account Data file(s); ${r.files_found.ignored} other file(s) of the export ignored`,
  );
  for (const f of r.files) {
    const label = {
      imported: 'read',
      resumed: 'resumed',
      already_imported: 'already imported, skipped',
      failed: 'FAILED',
    }[f.status];
    lines.push(
      f.status === 'failed'
        ? `    ${f.file}: FAILED, ${n(f.rows)} rows committed`
        : `    ${f.file}: ${n(f.rows)} rows, ${label}`,
    );
  }
  lines.push(
    `  files read: ${r.files_read}, rows read: ${n(r.rows_read)}${r.rows_already_imported ? ` (+${n(r.rows_already_imported)} committed by an earlier run)` : ''}`,
  );
  lines.push(`  plays written: ${n(r.rows_written)}, podcast episodes written: ${n(r.episodes_written)}`);
  lines.push(
    `  already present: ${n(r.plays_already_present)} plays, ${n(r.episodes_already_present)} episodes${r.plays_recovered ? `; ${n(r.plays_recovered)} finished from an interrupted run` : ''}`,
  );
  const reasons = Object.entries(r.skipped_by_reason)
    .map(([k, v]) => `${n(v)} ${k.replaceAll('_', ' ')}`)
    .join(', ');
  lines.push(`  skipped: ${n(r.rows_skipped)}${reasons ? ` (${reasons})` : ''}`);
  for (const e of r.invalid_examples) lines.push(`    invalid: ${e.file} row ${e.index}: ${e.problem}`);
  if (r.invalid_utf8_rows > 0) {
    lines.push(
      `  warning: ${n(r.invalid_utf8_rows)} row(s) hold bytes that are not UTF-8; they were imported with U+FFFD (\uFFFD) in place of each bad sequence (the file is damaged or was re-encoded: a fresh download of the export may have the right text)`,
    );
    for (const e of r.invalid_utf8_examples) lines.push(`    invalid UTF-8: ${e.file} row ${e.index}`);
  }
  if (r.date_range) lines.push(`  date range: ${r.date_range.first} … ${r.date_range.last}`);
  if (r.users.length) lines.push(`  account(s): ${r.users.join(', ')}`);
  lines.push(`  objects written: ${n(r.objects_written)} (${size(r.bytes_written)})`);
  if (r.enrich) {
    const e = r.enrich;
    lines.push(
      `  enrich: ${n(e.records_enriched)} plays enriched; ${n(e.tracks_looked_up)} tracks looked up (${e.mode === 'batch' ? 'batches of 50' : 'one by one: the batch endpoint is not available to this app'}), ${n(e.requests)} requests, ${n(e.not_found)} not found, ${n(e.cache_hits)} from the cache`,
    );
  }
  if (r.error) lines.push(`  error: ${r.error}`);
  return lines.join('\n');
}
