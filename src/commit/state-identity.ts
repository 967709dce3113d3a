import { randomUUID } from 'node:crypto';
import { PipelineError } from '../errors.js';
import { corruptState } from '../state/json-file.js';
import { STATE_KEYS } from '../state/layout.js';
import { StateConflictError, type StateStore } from '../state/state-store.js';

const KEY = STATE_KEYS.identity;

/**
 * Who this state is, and how far it vouches for the lake. `epoch` grows whenever the state can no longer
 * be sure that it knows everything the lake holds (the first run with it, another state wrote to the lake
 * since this one last did, the lake changed); ledger months written in the current epoch are trusted, all
 * others are learned from the lake again before use.
 */
export interface StateIdentity {
  v: 1;
  id: string;
  epoch: number;
  /** The lake this state last wrote to. */
  lake: string | null;
  created_at: string;
  /** Set on the source of `state migrate`: this state moved there and must not be used any more. */
  moved_to?: string;
}

function parse(store: StateStore, body: Buffer): StateIdentity {
  try {
    const v = JSON.parse(body.toString('utf8')) as StateIdentity;
    if (v?.v !== 1 || typeof v.id !== 'string' || typeof v.epoch !== 'number') {
      throw new Error('expected {"v":1,"id":…,"epoch":…}');
    }
    return v;
  } catch (err) {
    throw corruptState(`${store.location}/${KEY}`, err);
  }
}

export async function readStateIdentity(
  store: StateStore,
): Promise<{ identity: StateIdentity; version: string } | undefined> {
  const object = await store.read(KEY);
  return object ? { identity: parse(store, object.body), version: object.version } : undefined;
}

/** The state's identity, created on first use. Refuses a state that `state migrate` moved away. */
export async function openStateIdentity(
  store: StateStore,
): Promise<{ identity: StateIdentity; version: string }> {
  for (;;) {
    const read = await readStateIdentity(store);
    if (read) {
      if (read.identity.moved_to) {
        throw new PipelineError(
          `The state at ${store.location} was moved to ${read.identity.moved_to} by \`state migrate\`: set STATE_URL to ${read.identity.moved_to} (using both would make two states for one lake).`,
          2,
        );
      }
      return read;
    }
    const identity: StateIdentity = {
      v: 1,
      id: randomUUID(),
      epoch: 0,
      lake: null,
      created_at: new Date().toISOString(),
    };
    const version = await store.create(KEY, `${JSON.stringify(identity)}\n`);
    if (version !== undefined) return { identity, version };
  }
}

/** Writes a changed identity; the caller holds the lake lease. */
export async function saveStateIdentity(
  store: StateStore,
  identity: StateIdentity,
  version: string,
): Promise<string> {
  try {
    return await store.replace(KEY, `${JSON.stringify(identity)}\n`, version);
  } catch (err) {
    if (err instanceof StateConflictError) {
      throw new PipelineError(
        `The state at ${store.location} was changed by another process while this run started: is another spotify-pipeline using the same STATE_URL with another lake? Stop it, then run again.`,
        1,
        { cause: err },
      );
    }
    throw err;
  }
}
