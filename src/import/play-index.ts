import { normaliseName, samePlay, type PlayKey } from '../state/ledger.js';

/**
 * Plays not yet in the ledger (the batch being built), matched with the ledger's own rule (`samePlay`),
 * so a row repeated inside one file or across files of one import is kept once.
 */
export class PlayIndex {
  private readonly byName = new Map<string, PlayKey[]>();
  private readonly byId = new Map<string, PlayKey[]>();

  has(key: PlayKey): boolean {
    for (const k of this.byName.get(normaliseName(key.name)) ?? []) if (samePlay(key, k)) return true;
    if (key.id !== null) for (const k of this.byId.get(key.id) ?? []) if (samePlay(key, k)) return true;
    return false;
  }

  add(key: PlayKey): void {
    push(this.byName, normaliseName(key.name), key);
    if (key.id !== null) push(this.byId, key.id, key);
  }

  clear(): void {
    this.byName.clear();
    this.byId.clear();
  }
}

function push(map: Map<string, PlayKey[]>, key: string, value: PlayKey) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
