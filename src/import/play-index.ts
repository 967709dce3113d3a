import { closeInTime, normaliseName, type PlayKey } from '../state/ledger.js';

/**
 * Plays not yet in the ledger (the batch being built or committed), matched with the ledger's own rule
 * (samePlay), so a row repeated inside one file or across files of one import is kept once. Indexed like
 * the ledger: a key with an id is compared with the same id and with id-less plays of the same name only.
 * The by-name index is built only once an id-less key (Account Data) asks, since normalising every name
 * of an Extended batch would be wasted.
 */
export class PlayIndex {
  private readonly all: PlayKey[] = [];
  private byName: Map<string, PlayKey[]> | undefined;
  private readonly byNameNoId = new Map<string, PlayKey[]>();
  private readonly byId = new Map<string, PlayKey[]>();

  has(key: PlayKey): boolean {
    // Plain loops, no closure per call: this runs for every row of an import.
    if (key.id !== null) {
      if (anyNear(key, this.byId.get(key.id))) return true;
      return this.byNameNoId.size > 0 && anyNear(key, this.byNameNoId.get(normaliseName(key.name)));
    }
    return anyNear(key, this.names().get(normaliseName(key.name)));
  }

  add(key: PlayKey): void {
    this.all.push(key);
    if (this.byName) push(this.byName, normaliseName(key.name), key);
    if (key.id !== null) push(this.byId, key.id, key);
    else push(this.byNameNoId, normaliseName(key.name), key);
  }

  private names(): Map<string, PlayKey[]> {
    if (!this.byName) {
      this.byName = new Map();
      for (const k of this.all) push(this.byName, normaliseName(k.name), k);
    }
    return this.byName;
  }
}

function anyNear(key: PlayKey, candidates: PlayKey[] | undefined): boolean {
  if (candidates === undefined) return false;
  for (const k of candidates) if (closeInTime(key.t, key.src, k.t, k.src)) return true;
  return false;
}

function push(map: Map<string, PlayKey[]>, key: string, value: PlayKey) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
