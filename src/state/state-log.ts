import { randomBytes } from 'node:crypto';
import { forEachConcurrently } from '../util/concurrency.js';
import { StateConflictError, type StateStore } from './state-store.js';

/** Appends between two compactions of an object-store log, on average (see append). */
const COMPACT_EVERY = 20;
/** A compaction folds at most this many appended objects into the log at once. */
const COMPACT_MAX = 500;

/**
 * An append-only log of lines in the state (the run history, the import's track metadata cache). In a local
 * folder it is one file appended to with O_APPEND, exactly as before. An object store cannot append: each
 * append is then its own object under `<key>.d/`, and now and then the appended objects are folded into the
 * log object `<key>` (a conditional replace, so two compactions never both win; the folded objects are
 * deleted only after). A crash between the two leaves lines in both places: readers drop the duplicates.
 */
export class StateLog {
  constructor(
    private readonly state: StateStore,
    readonly key: string,
  ) {}

  private get segments(): string {
    return `${this.key}.d/`;
  }

  /** Appends text (whole lines, each ending in "\n"). */
  async append(text: string): Promise<void> {
    if (this.state.append) {
      await this.state.append(this.key, text);
      return;
    }
    const name = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}.jsonl`;
    await this.state.put(`${this.segments}${name}`, text);
    if (Math.random() < 1 / COMPACT_EVERY) await this.compact().catch(() => {});
  }

  /** The whole log as text, in append order. */
  async read(): Promise<string> {
    const base = (await this.state.read(this.key))?.body.toString('utf8') ?? '';
    if (this.state.append) return base;
    const keys = await this.state.list(this.segments);
    if (keys.length === 0) return base;
    const parts = await this.readSegments(keys);
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const line of `${base}${parts.join('')}`.split('\n')) {
      if (line === '' || seen.has(line)) continue;
      seen.add(line);
      lines.push(line);
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /** Folds the appended objects into the log object (object stores only). */
  async compact(): Promise<void> {
    if (this.state.append) return;
    const keys = (await this.state.list(this.segments)).slice(0, COMPACT_MAX);
    if (keys.length === 0) return;
    const current = await this.state.read(this.key);
    const parts = await this.readSegments(keys);
    const body = `${current?.body.toString('utf8') ?? ''}${parts.join('')}`;
    try {
      if (current) await this.state.replace(this.key, body, current.version);
      else if ((await this.state.create(this.key, body)) === undefined) return;
    } catch (err) {
      if (err instanceof StateConflictError) return; // another compaction won: it folds these too
      throw err;
    }
    await forEachConcurrently(keys, 8, (k) => this.state.delete(k));
  }

  private async readSegments(keys: string[]): Promise<string[]> {
    const parts: string[] = new Array(keys.length).fill('');
    await forEachConcurrently(keys, 16, async (k, i) => {
      const text = (await this.state.read(k))?.body.toString('utf8') ?? '';
      parts[i] = text === '' || text.endsWith('\n') ? text : `${text}\n`;
    });
    return parts;
  }
}
