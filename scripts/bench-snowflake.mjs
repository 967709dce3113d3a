#!/usr/bin/env node
// Figures for docs/snowflake.md: JWT signing, SQL generation, and the reconciliation of `snowflake status`
// over a large lake. Run `npm run build` first, then `node scripts/bench-snowflake.mjs`.
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { signJwt } from '../dist/snowflake/jwt.js';
import { buildSetupStatements } from '../dist/snowflake/ddl.js';
import { reconcile } from '../dist/snowflake/status.js';

function time(label, n, fn) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - t0;
  console.log(`${label}: ${n} in ${ms.toFixed(1)} ms (${((ms * 1000) / n).toFixed(1)} µs each)`);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
time('JWT sign (RS256, 2048-bit)', 500, () =>
  signJwt({ account: 'xy12345', user: 'loader', key: privateKey }),
);

const objects = {
  database: 'SPOTIFY',
  schema: 'LISTENING',
  integration: 'I',
  awsRoleArn: 'arn:aws:iam::123456789012:role/r',
  bucket: 'b',
  tracksPrefix: 'spotify_listening_history/',
  episodesPrefix: 'spotify_episode_history/',
  mode: 'auto',
  roles: {},
};
time('setup SQL generation', 1000, () => buildSetupStatements(objects));

// One year at 48 collection runs a day, each file 10 plays; every 100th file missing from the table.
const days = 365;
const perDay = 48;
const lake = [];
const table = [];
for (let d = 0; d < days; d++) {
  const date = new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
  for (let f = 0; f < perDay; f++) {
    const key = `spotify_listening_history/${date.replaceAll('-', '/')}/spotify_tracks_x_batch_10_${d}_${f}.json.gz`;
    lake.push({ key, date, plays: 10, lastModified: '2025-01-01T00:00:00.000Z' });
    if ((d * perDay + f) % 100 !== 0) table.push({ date, key, rows: 10 });
  }
}
const rssBefore = process.memoryUsage().rss;
let result;
time(
  `reconcile ${lake.length} files / ${days} days`,
  5,
  () => (result = reconcile(lake, table, [], Date.now())),
);
const missing = result.flatMap((d) => d.files).filter((f) => f.state === 'missing').length;
console.log(
  `  missing files found: ${missing}; rss +${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(1)} MB`,
);
