import { parentPort, workerData } from 'node:worker_threads';
import { checkExtras, parseDeclaration, type CustomField } from './field-rules.js';
import type { FromWorker, ToWorker, TransformContext } from './transform-protocol.js';

/**
 * The thread a user's transform module runs in. It runs apart from the pipeline so that a transform that
 * hangs (even in a synchronous loop) can be stopped: the main thread terminates this thread when it stops
 * answering (TRANSFORM_TIMEOUT_SECONDS). Each result is checked here, with the same rules as the declaration.
 */
type TransformFn = (record: Readonly<Record<string, unknown>>, context: TransformContext) => unknown;

const port = parentPort!;
const { moduleUrl } = workerData as { moduleUrl: string };
const post = (message: FromWorker) => port.postMessage(message);

/** Records checked twice in each batch: enough to catch Math.random() or Date.now() at once. */
const DETERMINISM_SAMPLE = 8;
const PROGRESS_EVERY = 256;

let fn: TransformFn;
let fields: CustomField[];
try {
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  const candidate = mod.transform ?? mod.default;
  if (typeof candidate !== 'function') {
    throw new Error(
      'it exports no function "transform" (or a default export): export function transform(record, context) { return { my_field: ... }; }',
    );
  }
  const declared = parseDeclaration(mod.fields);
  if (typeof declared === 'string') throw new Error(declared);
  if (declared.length === 0) {
    throw new Error(
      "it declares no fields: export const fields = { my_field: 'string' } (types: string, integer, number, boolean, timestamp, date, string_array, json)",
    );
  }
  fn = candidate as TransformFn;
  fields = declared;
  post({ type: 'ready', fields });
} catch (err) {
  post({ type: 'load_error', message: err instanceof Error ? err.message : String(err) });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const values: unknown[][] = [];
  for (let i = 0; i < message.records.length; i++) {
    const record = deepFreeze(message.records[i]!);
    const context: TransformContext = Object.freeze({
      kind: message.kind,
      source: String(record.data_source),
      userId: String(record.user_id),
      timeZone: message.timeZone,
    });
    let checked: ReturnType<typeof checkExtras>;
    try {
      checked = checkExtras(await fn(record, context), fields);
      if ('values' in checked && i < DETERMINISM_SAMPLE) {
        const again = checkExtras(await fn(record, context), fields);
        const first = JSON.stringify(checked.values);
        const second = 'values' in again ? JSON.stringify(again.values) : again.problem;
        if (first !== second) {
          checked = {
            problem: `is not deterministic: the same play gave ${first} and then ${second}. A play must always get the same fields (no Math.random(), Date.now() or outside state), or a retried write would hold different bytes than the first`,
          };
        }
      }
    } catch (err) {
      const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const hint = /read.only|not extensible|Cannot assign|Cannot add|Cannot delete/i.test(text)
        ? ' (records are read-only: return the fields to add instead)'
        : '';
      checked = { problem: `threw ${text}${hint}` };
    }
    if (!('values' in checked)) {
      post({ type: 'failed', id: message.id, index: i, field: checked.field, problem: checked.problem });
      return;
    }
    values.push(checked.values);
    if ((i + 1) % PROGRESS_EVERY === 0) post({ type: 'progress', id: message.id });
  }
  post({ type: 'done', id: message.id, values });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') void run(message);
});
