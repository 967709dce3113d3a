import { closeInTime, normaliseName, type PlayKey } from '../state/ledger.js';

/**
 * Plays not yet in the ledger (the batch being built), matched with the ledger's own rule (samePlay),
 * so a row repeated inside one file or across files of one import is kept once. Indexed like the ledger:
 * a key with an id is compared with the same id and with id-less plays of the same name only.
 */
export class PlayIndex {
  private readonly byName = new Map<string, PlayKey[]>();
  private readonly byNameNoId = new Map<string, PlayKey[]>();
  private readonly byId = new Map<string, PlayKey[]>();

  has(key: PlayKey): boolean {
    // Every candidate list already shares the id or the name that the ledger's samePlay would compare.
    const near = (k: PlayKey) => closeInTime(key.t, key.src, k.t, k.src);
    const name = normaliseName(key.name);
    if (key.id !== null) {
      return (this.byId.get(key.id)?.some(near) ?? false) || (this.byNameNoId.get(name)?.some(near) ?? false);
    }
    return this.byName.get(name)?.some(near) ?? false;
  }

  add(key: PlayKey): void {
    const name = normaliseName(key.name);
    push(this.byName, name, key);
    if (key.id !== null) push(this.byId, key.id, key);
    else push(this.byNameNoId, name, key);
  }

  clear(): void {
    this.byName.clear();
    this.byNameNoId.clear();
    this.byId.clear();
  }
}

function push(map: Map<string, PlayKey[]>, key: string, value: PlayKey) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
