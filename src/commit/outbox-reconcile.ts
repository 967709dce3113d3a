import { gunzipSync } from 'node:zlib';
import type { PreparedObject } from '../lake/build-objects.js';
import { gzipNdjson, parseNdjsonGzip, recordToJsonLine } from '../lake/encode.js';
import type { ListeningRecord } from '../record/schema.js';
import { objectKey, parseObjectKey } from '../lake/layout.js';
import type { PlayKey } from './play-set.js';
import { playKeyOfRecord } from './record-play-key.js';

export interface OutboxObject {
  key: string;
  body: Buffer;
  records: number;
}

/**
 * An outbox transaction checked against what the ledger and the lake hold now (every replayed entry that no
 * stopped holder may still be publishing: it may have been decided by a writer that had lost the lease, or
 * while the state did not vouch for the lake): records of plays
 * the lake already holds are dropped (among them those of this transaction's own objects that were
 * published before a crash), and an object that loses some is written anew from the rest, under the name
 * its new content gives. Returns what is left to write and its plays.
 */
export async function reconcileOutbox(
  objects: readonly OutboxObject[],
  present: (play: PlayKey) => Promise<boolean>,
): Promise<{ objects: OutboxObject[]; plays: PlayKey[]; dropped: number }> {
  const out: OutboxObject[] = [];
  const plays: PlayKey[] = [];
  let dropped = 0;
  for (const object of objects) {
    const lines = gunzipSync(object.body).toString('utf8').split('\n').filter(Boolean);
    const kept: string[] = [];
    let earliest: string | undefined;
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const play = playKeyOfRecord(record);
      if (play && (await present(play))) {
        dropped++;
        continue;
      }
      kept.push(line);
      if (play) plays.push(play);
      earliest ??= String(record.played_at);
    }
    if (kept.length === lines.length) {
      out.push(object);
    } else if (kept.length > 0) {
      const parsed = parseObjectKey(object.key);
      if (!parsed) throw new Error(`the outbox object ${object.key} has no lake name`);
      const body = gzipNdjson(kept);
      const key = objectKey(
        { prefix: parsed.prefix, filePrefix: parsed.filePrefix },
        { earliestPlayedAt: earliest!, count: kept.length, body },
      );
      out.push({ key, body, records: kept.length });
    }
  }
  return { objects: out, plays, dropped };
}

/**
 * The objects of an entry queued without the lake's custom fields, with `complete` applied to their records
 * and built anew (same dates and order; new content, so new names). Each object keeps its records together.
 */
export async function rebuildObjects(
  objects: readonly OutboxObject[],
  complete: (records: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>,
): Promise<PreparedObject[]> {
  const out: PreparedObject[] = [];
  for (const object of objects) {
    const parsed = parseObjectKey(object.key);
    if (!parsed) throw new Error(`the outbox object ${object.key} has no lake name`);
    const records = parseNdjsonGzip(object.body) as Record<string, unknown>[];
    const finished = await complete(records);
    const body = gzipNdjson(finished.map((r) => recordToJsonLine(r as unknown as ListeningRecord)));
    const key = objectKey(
      { prefix: parsed.prefix, filePrefix: parsed.filePrefix },
      { earliestPlayedAt: String(finished[0]!.played_at), count: finished.length, body },
    );
    out.push({ key, body, records: finished.length, date: parsed.date });
  }
  return out;
}
