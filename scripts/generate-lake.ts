/**
 * Writes a large synthetic lake for the scale benchmarks: by default 5 accounts, 10,000,000 plays over 15 years
 * plus podcast episodes, one object per account and UTC day (as an import writes them), date-partitioned gzip
 * NDJSON named as docs/exactly-once.md says. Objects are made with the project's own encoder and naming and written through
 * LocalObjectStore (the import itself is not what is measured here, so it is bypassed: see docs/warehouse.md).
 *
 *   npx tsx scripts/generate-lake.ts --out /work/bigdata/lake-10m [--plays 10000000 --years 15 --accounts 5]
 *
 * The last `--leave-days` days (default 10) before today are left empty for the incremental-refresh benchmark
 * (scripts/bench-scale.ts adds them one at a time). Shards run as child processes (`--processes`, default the
 * number of cores); re-running is harmless (write-once, content-derived names).
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalObjectStore } from '../src/lake/local-store.js';
import type { PreparedObject } from '../src/lake/build-objects.js';
import { DAY_MS, dailyCounts, dayObjects, type LakeShape } from './synthetic-lake.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    plays: { type: 'string', default: '10000000' },
    years: { type: 'string', default: '15' },
    accounts: { type: 'string', default: '5' },
    'leave-days': { type: 'string', default: '10' },
    'api-years': { type: 'string', default: '2' },
    processes: { type: 'string', default: String(availableParallelism()) },
    shard: { type: 'string' },
  },
});

/** The lake's shape from the options; the same in every shard (today is fixed by the parent). */
export function shapeFrom(options: typeof values, today: number): LakeShape {
  const endDay = today - (Number(options['leave-days']) + 1) * DAY_MS;
  const startDay = endDay - Math.round(Number(options.years) * 365.25) * DAY_MS;
  return {
    accounts: Number(options.accounts),
    plays: Number(options.plays),
    startDay,
    endDay,
    apiSinceDay: endDay - Math.round(Number(options['api-years']) * 365.25) * DAY_MS,
  };
}

async function writeBatch(store: LocalObjectStore, batch: PreparedObject[]): Promise<void> {
  // One filesystem sync per batch instead of an fsync per file (the collector's and the import's path).
  const done = await store.putManyIfAbsent(batch, {});
  if (!done) for (const o of batch) await store.putIfAbsent(o.key, o.body);
}

async function runShard(out: string, shard: number, shards: number, today: number) {
  const shape = shapeFrom(values, today);
  const store = new LocalObjectStore(out);
  const counts = Array.from({ length: shape.accounts }, (_, a) => dailyCounts(shape, a));
  const days = counts[0]!.length;
  let batch: PreparedObject[] = [];
  let plays = 0;
  let objects = 0;
  let bytes = 0;
  for (let d = shard; d < days; d += shards) {
    for (let a = 0; a < shape.accounts; a++) {
      for (const o of dayObjects(shape, a, shape.startDay + d * DAY_MS, counts[a]![d]!)) {
        batch.push(o);
        objects++;
        bytes += o.body.length;
        if (o.key.startsWith('spotify_listening_history/')) plays += o.records;
      }
    }
    if (batch.length >= 1000) {
      await writeBatch(store, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await writeBatch(store, batch);
  process.send?.({ plays, objects, bytes });
}

async function main() {
  if (!values.out)
    throw new Error('--out DIR is required (a folder outside the repository, e.g. /work/bigdata/lake-10m)');
  const out = path.resolve(values.out);
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (values.shard !== undefined) {
    const [i, n, day] = values.shard.split('/').map(Number);
    return runShard(out, i!, n!, day!);
  }
  const shards = Math.max(1, Number(values.processes));
  const started = Date.now();
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--shard'));
  const results = await Promise.all(
    Array.from(
      { length: shards },
      (_, i) =>
        new Promise<{ plays: number; objects: number; bytes: number }>((resolve, reject) => {
          const child = fork(fileURLToPath(import.meta.url), [...args, `--shard=${i}/${shards}/${today}`], {
            execArgv: process.execArgv,
          });
          let result: { plays: number; objects: number; bytes: number } | undefined;
          child.on('message', (m) => (result = m as typeof result));
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 && result ? resolve(result) : reject(new Error(`shard ${i} exited with ${code}`)),
          );
        }),
    ),
  );
  const total = results.reduce((s, r) => ({
    plays: s.plays + r.plays,
    objects: s.objects + r.objects,
    bytes: s.bytes + r.bytes,
  }));
  const shape = shapeFrom(values, today);
  // Beside the lake (not in it): what scripts/bench-scale.ts needs to add days in the same style.
  writeFileSync(`${out}.shape.json`, `${JSON.stringify(shape, null, 2)}\n`);
  console.log(
    `lake ${out}: ${total.plays.toLocaleString('en-US')} plays of ${shape.accounts} accounts from ${new Date(shape.startDay).toISOString().slice(0, 10)} to ${new Date(shape.endDay).toISOString().slice(0, 10)}, ` +
      `${total.objects.toLocaleString('en-US')} objects (with episodes), ${(total.bytes / 1e6).toFixed(0)} MB, written in ${((Date.now() - started) / 1000).toFixed(1)} s with ${shards} processes`,
  );
}

await main();
