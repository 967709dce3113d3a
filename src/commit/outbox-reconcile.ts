import { gunzipSync } from 'node:zlib';
import {
  buildObjects,
  buildObjectsFromLines,
  lineBatch,
  type PreparedObject,
} from '../lake/build-objects.js';
import { parseNdjsonGzip } from '../lake/encode.js';
import { parseObjectKey } from '../lake/layout.js';
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
    const times: number[] = [];
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const play = playKeyOfRecord(record);
      if (play && (await present(play))) {
        dropped++;
        continue;
      }
      kept.push(line);
      times.push(Date.parse(String(record.played_at)));
      if (play) plays.push(play);
    }
    if (kept.length === lines.length) {
      out.push(object);
    } else if (kept.length > 0) {
      const parsed = parseObjectKey(object.key);
      if (!parsed) throw new Error(`the outbox object ${object.key} has no lake name`);
      // One date's lines in time order already: the builder gives them back as one object.
      const dataset = { prefix: parsed.prefix, filePrefix: parsed.filePrefix };
      for (const o of await buildObjectsFromLines(dataset, lineBatch(kept, times))) {
        out.push({ key: o.key, body: o.body, records: o.records });
      }
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
    const dataset = { prefix: parsed.prefix, filePrefix: parsed.filePrefix };
    // One date's records in time order: the builder gives them back as one object.
    out.push(...buildObjects(dataset, finished as (Record<string, unknown> & { played_at: string })[]));
  }
  return out;
}
