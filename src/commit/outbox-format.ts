import { z } from 'zod';
import { parseNdjsonGzip } from '../lake/encode.js';
import { corruptState } from '../state/json-file.js';
import type { StateStore } from '../state/state-store.js';
import type { PlayKey } from './ledger.js';
import { playKeyOfRecord } from './record-play-key.js';

/**
 * The outbox file: one line of JSON (everything but the object bodies, with each body's length), then the
 * bodies back to back. Raw bytes, not base64 inside JSON: no 4/3 blow-up, and no big strings to build, parse
 * and collect. One file written atomically, so a transaction is in it whole or not at all. The plays are not
 * in it: they are exactly the keys of the objects' records, read back on the rare replay (see playsOf).
 */
export const outboxHeaderSchema = z.object({
  v: z.literal(3),
  id: z.string(),
  created_at: z.string(),
  /**
   * The coverage epoch the transaction was decided in (see state-identity.ts); null when a month could not
   * be learned from the lake.
   */
  epoch: z.number().nullable(),
  objects: z.array(z.object({ key: z.string(), bytes: z.number(), records: z.number(), date: z.string() })),
  meta: z.record(z.string(), z.unknown()).optional(),
  /**
   * True when the records still lack the lake's custom fields (queued while the lake was out of reach):
   * they are added, and the objects built anew, before the transaction is published.
   */
  fields_pending: z.boolean().optional(),
});
export const OUTBOX_SUFFIX = '.outbox';

/** A transaction as it is replayed. */
export interface OutboxEntry {
  /** The entry's id: its file name without the suffix (what the lease names in flight). */
  id: string;
  objects: { key: string; body: Buffer; records: number }[];
  plays: PlayKey[];
  meta?: Record<string, unknown>;
  epoch: number | null;
  fieldsPending: boolean;
}

export async function readOutbox(state: StateStore, key: string): Promise<OutboxEntry | undefined> {
  const file = `${state.location}/${key}`;
  const object = await state.read(key);
  if (!object) return undefined;
  const bytes = object.body;
  try {
    const eol = bytes.indexOf(0x0a);
    if (eol < 0) throw new Error('no header line');
    const header = outboxHeaderSchema.parse(JSON.parse(bytes.subarray(0, eol).toString('utf8')));
    let offset = eol + 1;
    const objects = header.objects.map((o) => {
      const body = bytes.subarray(offset, offset + o.bytes);
      offset += o.bytes;
      if (body.length !== o.bytes) throw new Error(`the body of ${o.key} is cut short`);
      return { key: o.key, body, records: o.records };
    });
    if (offset !== bytes.length) throw new Error('unexpected bytes after the last body');
    const plays = objects.flatMap((o) => playsOf(o.key, o.body));
    return {
      id: header.id,
      objects,
      plays,
      meta: header.meta,
      epoch: header.epoch,
      fieldsPending: header.fields_pending === true,
    };
  } catch (err) {
    throw corruptState(file, err);
  }
}

/** The plays an object of the outbox holds: the keys of its records. */
function playsOf(key: string, body: Buffer): PlayKey[] {
  return parseNdjsonGzip(body).map((record, i) => {
    const play = playKeyOfRecord(record as Record<string, unknown>);
    if (!play) throw new Error(`record ${i + 1} of ${key} has no play time or data_source`);
    return play;
  });
}

export type OutboxHeader = z.infer<typeof outboxHeaderSchema>;

/** The bytes of an outbox file: the header line, then the bodies back to back. */
export function encodeOutbox(header: OutboxHeader, bodies: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ...bodies]);
}

/** The id an outbox file is named by (and the lease names it in flight by). */
export function outboxIdOf(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1, -OUTBOX_SUFFIX.length);
}
