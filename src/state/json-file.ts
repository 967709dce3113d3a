import { promises as fs } from 'node:fs';
import { PipelineError } from '../errors.js';
import { writeFileAtomic } from '../fs/fs-atomic.js';
import type { StateStore } from './state-store.js';

/**
 * Reads a JSON state file; undefined when it does not exist. A file that exists but cannot be read or parsed
 * stops the run: state is never silently reset, since that could write plays twice.
 */
export async function readStateFile<T>(
  file: string,
  validate: (value: unknown) => T,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new PipelineError(
      `Cannot read the state file ${file} (${code}): fix its permissions so this user can read it. Nothing was changed.`,
      1,
      { cause: err },
    );
  }
  try {
    return validate(JSON.parse(text));
  } catch (err) {
    throw corruptState(file, err);
  }
}

export function corruptState(file: string, err: unknown): PipelineError {
  return new PipelineError(
    `The state file ${file} is corrupt (${(err as Error).message}). It is never reset automatically, because that could write plays twice: restore it from a backup, or move it aside if you accept that the next run may re-collect plays it already wrote. Nothing was changed.`,
    1,
    { cause: err },
  );
}

export async function writeStateFile(file: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`, mode);
}

/**
 * Reads a JSON object of the state store; undefined when there is none. One that exists but cannot be parsed
 * stops the run (see readStateFile).
 */
export async function readStateJson<T>(
  state: StateStore,
  key: string,
  validate: (value: unknown) => T,
): Promise<T | undefined> {
  const object = await state.read(key);
  if (!object) return undefined;
  try {
    return validate(JSON.parse(object.body.toString('utf8')));
  } catch (err) {
    throw corruptState(`${state.location}/${key}`, err);
  }
}

/** Writes a JSON object of the state store, in the same format as writeStateFile. */
export async function writeStateJson(state: StateStore, key: string, value: unknown): Promise<void> {
  await state.put(key, `${JSON.stringify(value)}\n`);
}
