import { plural } from '../util/plural.js';
import type { ImportReport } from './run-import.js';

const n = (v: number) => v.toLocaleString('en-US');
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The human report of an import: every figure of the JSON, in plain words. The error itself is not repeated
 * here: the command prints it once, on stderr.
 */
export function formatImportReport(r: ImportReport): string {
  const lines: string[] = [];
  const status =
    r.outcome === 'ok' ? 'done' : r.outcome === 'auth_required' ? 'Spotify login needed' : 'FAILED';
  lines.push(`import: ${status} in ${(r.duration_ms / 1000).toFixed(2)} s  (lake: ${r.lake})`);
  // Failed before reading anything (a wrong path, a corrupt zip): a column of zeros would read as a result.
  if (r.outcome !== 'ok' && r.files.length === 0 && r.rows_read === 0 && r.objects_written === 0) {
    lines.push('  nothing was read or written: the lake is as it was (the reason follows)');
    return lines.join('\n');
  }
  const allDone = r.files.length > 0 && r.files.every((f) => f.status === 'already_imported');
  if (allDone)
    lines.push(
      '  nothing new: an earlier import already committed every one of these files, so none was read again',
    );
  else if (r.resumed)
    lines.push(
      '  resumed: an earlier import had already committed part of these files; only the rest was read',
    );
  lines.push(
    `  found: ${plural(r.files_found.extended, 'Extended Streaming History file')}, ${plural(r.files_found.account_data, 'Account Data file')}; ${plural(r.files_found.ignored, 'other file')} of the export ignored`,
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
        ? `    ${f.file} (${f.what}): FAILED, ${n(f.rows)} rows committed`
        : `    ${f.file} (${f.what}): ${n(f.rows)} rows, ${label}`,
    );
  }
  for (const f of r.ignored_files) lines.push(`    ${f.file}: ignored, ${f.why}`);
  lines.push(
    `  files read: ${r.files_read}, rows read: ${n(r.rows_read)}${r.rows_already_imported ? ` (+${n(r.rows_already_imported)} committed by an earlier run)` : ''}`,
  );
  lines.push(`  plays written: ${n(r.rows_written)}, podcast episodes written: ${n(r.episodes_written)}`);
  lines.push(
    `  already present: ${plural(r.plays_already_present, 'play')}, ${plural(r.episodes_already_present, 'episode')}${r.plays_recovered ? `; ${n(r.plays_recovered)} finished from an interrupted run` : ''}`,
  );
  // Read in the same run, the export's two kinds overlap: Account Data lists again the plays of the
  // Extended history's last year, and each play is kept once (the Extended row wins).
  const read = r.files.filter((f) => f.status !== 'already_imported');
  const bothKinds = read.some((f) => f.kind === 'extended') && read.some((f) => f.kind !== 'extended');
  if (r.plays_already_present > 0)
    lines.push(
      bothKinds
        ? '    (not written again: Account Data repeats the plays of the Extended Streaming History, and plays already in the lake count here too; each play is kept once)'
        : '    (not written again: already in the lake, from an earlier import or the API)',
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
  if (r.users.length) lines.push(`  ${r.users.length === 1 ? 'account' : 'accounts'}: ${r.users.join(', ')}`);
  lines.push(`  objects written: ${n(r.objects_written)} (${size(r.bytes_written)})`);
  if (r.enrich) {
    const e = r.enrich;
    lines.push(
      `  enrich: ${n(e.records_enriched)} plays enriched; ${n(e.tracks_looked_up)} tracks looked up (${e.mode === 'batch' ? 'batches of 50' : 'one by one: the batch endpoint is not available to this app'}), ${n(e.requests)} requests, ${n(e.not_found)} not found, ${n(e.cache_hits)} from the cache`,
    );
  }
  if (r.outcome !== 'ok')
    lines.push(
      r.rows_written + r.episodes_written > 0
        ? `  kept: the ${plural(r.rows_written, 'play')} and ${plural(r.episodes_written, 'episode')} written above stay in the lake; a rerun resumes after them`
        : '  kept: nothing new was written to the lake',
    );
  return lines.join('\n');
}
