import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ObjectWrite } from '../state/lake-commit.js';

export type ObjectWrittenHook = (write: ObjectWrite) => void | Promise<void>;

/** Chains hooks so each integration sees every durable lake object, in order. */
export function chainHooks(...hooks: (ObjectWrittenHook | undefined)[]): ObjectWrittenHook | undefined {
  const present = hooks.filter((h): h is ObjectWrittenHook => h !== undefined);
  if (present.length === 0) return undefined;
  return async (write) => {
    for (const hook of present) await hook(write);
  };
}

/**
 * What must happen after every object the collector or the import makes durable in the lake, from
 * configuration: integrations that need to hear of each new object register here (Snowpipe REST mode).
 */
export async function configuredObjectHooks(
  config: Config,
  log: Logger,
): Promise<ObjectWrittenHook | undefined> {
  // Snowpipe REST mode (SNOWPIPE_MODE=rest): each new object is announced through insertFiles. Any value is
  // validated there, so a typo fails before work starts instead of silently skipping the notifications.
  const snowpipe = config.raw.SNOWPIPE_MODE
    ? (await import('../snowflake/snowpipe-notifier.js')).createSnowpipeNotifier(config, log)?.hook()
    : undefined;
  return chainHooks(snowpipe);
}
