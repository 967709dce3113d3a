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
    const near = (k: PlayKey) => closeInTime(key.t, key.src, k.t, k.src);
    if (key.id !== null) {
      if (this.byId.get(key.id)?.some(near)) return true;
      return this.byNameNoId.size > 0 && (this.byNameNoId.get(normaliseName(key.name))?.some(near) ?? false);
    }
    return this.names().get(normaliseName(key.name))?.some(near) ?? false;
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

function push(map: Map<string, PlayKey[]>, key: string, value: PlayKey) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
