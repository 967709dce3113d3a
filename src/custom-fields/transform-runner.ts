import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ExitCode, PipelineError } from '../errors.js';
import { workerScript } from '../util/worker-script.js';
import type { CustomField } from './field-rules.js';
import type { FromWorker, ToWorker, TransformContext } from './transform-protocol.js';

/** TRANSFORM_MODULE, TRANSFORM_TIMEOUT_SECONDS and TRANSFORM_TIMEZONE. */
export interface TransformSettings {
  /** Absolute path of the module. */
  module: string;
  timeoutMs: number;
  timeZone: string;
}

/**
 * A transform module that cannot be used: it does not load, declares fields wrongly, throws, hangs or returns
 * what its declaration does not allow. Exit 2: the module needs fixing; nothing of the batch was written and
 * the ledger is unchanged, so the next run (with the module fixed) writes those plays.
 */
export class TransformError extends PipelineError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'TransformError';
  }
}

/** The user's transform, running in its own thread (transform-worker.ts). */
export interface RecordTransform {
  readonly module: string;
  readonly fields: readonly CustomField[];
  /** The declared fields' values for each record, in declaration order. Throws TransformError. */
  valuesFor(kind: TransformContext['kind'], records: readonly object[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

const AFTER_FIX =
  'Fix the module (or unset TRANSFORM_MODULE) and run again: nothing of this batch was written.';

function playOf(record: Record<string, unknown>): string {
  const name = record.track_name ?? record.episode_name;
  return `the play of ${JSON.stringify(name)} at ${String(record.played_at)} (user ${String(record.user_id)})`;
}

export async function startTransform(settings: TransformSettings): Promise<RecordTransform> {
  const shown = settings.module;
  if (!existsSync(shown)) {
    throw new TransformError(
      `The transform module ${shown} does not exist (TRANSFORM_MODULE or --transform): give the path of an .mjs or .js file (a relative path is taken from the working folder).`,
    );
  }
  const seconds = settings.timeoutMs / 1000;
  const worker = new Worker(workerScript(import.meta.url, 'custom-fields', 'transform-worker.js'), {
    workerData: { moduleUrl: pathToFileURL(path.resolve(settings.module)).href },
    // A small young generation: the default semi-spaces add tens of MB of RSS to an import near its budget.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
    // The module's console output goes where the pipeline's own diagnostics go, never into stdout's JSON.
    stdout: true,
    stderr: false,
  });
  worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let failure: TransformError | undefined;
  let pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const fail = (error: TransformError) => {
    failure ??= error;
    if (timer) clearTimeout(timer);
    pending?.reject(failure);
    pending = undefined;
    void worker.terminate();
  };
  const arm = (what: string) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () =>
        fail(
          new TransformError(
            `The transform module ${shown} did not answer within ${seconds} s ${what} (TRANSFORM_TIMEOUT_SECONDS=${seconds}): it hangs or is far too slow, so it was stopped. ${AFTER_FIX}`,
          ),
        ),
      settings.timeoutMs,
    );
    timer.unref();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'progress') return arm('for a record');
    if (timer) clearTimeout(timer);
    const p = pending;
    pending = undefined;
    p?.resolve(m);
  });
  worker.on('error', (err) =>
    fail(new TransformError(`The transform module ${shown} failed: ${err.message}. ${AFTER_FIX}`)),
  );
  worker.on('exit', () => {
    if (!failure && pending)
      fail(
        new TransformError(`The transform module ${shown} stopped its thread (process.exit?). ${AFTER_FIX}`),
      );
  });
  const next = (what: string) =>
    new Promise<FromWorker>((resolve, reject) => {
      if (failure) return reject(failure);
      pending = { resolve, reject };
      arm(what);
    });

  const ready = await next('while loading');
  if (ready.type === 'load_error') {
    fail(new TransformError(`The transform module ${shown} cannot be used: ${ready.message}.`));
    throw failure!;
  }
  if (ready.type !== 'ready') throw new TransformError(`The transform module ${shown} did not start.`);
  const fields = ready.fields;
  let id = 0;
  // One batch at a time: the thread answers in order and `pending` holds one caller.
  let turn: Promise<unknown> = Promise.resolve();
  const valuesFor = async (kind: TransformContext['kind'], records: readonly object[]) => {
    if (records.length === 0) return [];
    const message: ToWorker = {
      type: 'run',
      id: ++id,
      kind,
      timeZone: settings.timeZone,
      records: records as Record<string, unknown>[],
    };
    const answer = next('for a record');
    worker.postMessage(message);
    const m = await answer;
    if (m.type === 'done') return m.values;
    if (m.type === 'failed') {
      const record = records[m.index] as Record<string, unknown>;
      throw new TransformError(
        `The transform module ${shown}, for ${playOf(record)}${m.field ? `, field "${m.field}"` : ''}: ${m.problem}. ${AFTER_FIX}`,
      );
    }
    throw new TransformError(`The transform module ${shown} answered out of turn (${m.type}).`);
  };
  return {
    module: shown,
    fields,
    valuesFor(kind, records) {
      const result = turn.then(() => valuesFor(kind, records));
      turn = result.catch(() => undefined);
      return result;
    },
    async close() {
      if (timer) clearTimeout(timer);
      await worker.terminate();
    },
  };
}
