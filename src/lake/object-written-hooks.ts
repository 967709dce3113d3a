import type { ObjectWrite } from './object-store.js';

export type ObjectWrittenHook = (write: ObjectWrite) => void | Promise<void>;

/** Chains hooks so each integration sees every durable lake object, in order. */
export function chainHooks(...hooks: (ObjectWrittenHook | undefined)[]): ObjectWrittenHook | undefined {
  const present = hooks.filter((h): h is ObjectWrittenHook => h !== undefined);
  if (present.length === 0) return undefined;
  return async (write) => {
    for (const hook of present) await hook(write);
  };
}
