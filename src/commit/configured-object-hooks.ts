import type { Config } from '../config.js';
import { chainHooks, type ObjectWrittenHook } from '../lake/object-written-hooks.js';
import type { Logger } from '../log.js';

/**
 * What must happen after every object the collector or the import makes durable in the lake, from
 * configuration: integrations that need to hear of each new object register here (Snowpipe REST mode), so
 * the lake itself knows none of its consumers.
 */
export async function configuredObjectHooks(
  config: Config,
  log: Logger,
): Promise<ObjectWrittenHook | undefined> {
  // Snowpipe REST mode (SNOWPIPE_MODE=rest): each new object is announced through insertFiles. Any value is
  // validated there, so a typo fails before work starts instead of silently skipping the notifications.
  const snowpipe = config.raw.SNOWPIPE_MODE
    ? (await (await import('../snowflake/snowpipe-notifier.js')).createSnowpipeNotifier(config, log))?.hook()
    : undefined;
  return chainHooks(snowpipe);
}
