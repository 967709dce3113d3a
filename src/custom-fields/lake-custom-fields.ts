import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import type { CustomField } from './field-rules.js';
import { declareLakeFields, mergeFields, readLakeFields } from './lake-schema.js';
import { startTransform, TransformError } from './transform-runner.js';

/** What TRANSFORM_MODULE declares (the module is loaded in its thread and stopped again). */
async function moduleFields(
  config: Config,
): Promise<{ module: string; fields: readonly CustomField[] } | undefined> {
  if (!config.transform) return undefined;
  const transform = await startTransform(config.transform);
  await transform.close();
  return { module: transform.module, fields: transform.fields };
}

/**
 * The custom fields a warehouse's tables must have: the lake's, and those TRANSFORM_MODULE declares. With
 * `declare`, the module's new fields are recorded in the lake first (`snowflake setup`: the columns then exist
 * before any record carries them). Without it (`snowflake sql`, which only prints), a lake that cannot be
 * read is logged (debug) and the module's declaration is used alone.
 */
export async function lakeCustomFields(
  config: Config,
  log: Logger,
  options: { declare: boolean },
): Promise<CustomField[]> {
  const declared = await moduleFields(config);
  let lake: CustomField[];
  try {
    const store = await openLakeAreaStore(config);
    if (declared && options.declare)
      return (await declareLakeFields(store, declared.fields, declared.module)).fields;
    lake = await readLakeFields(store);
  } catch (err) {
    if (options.declare || err instanceof TransformError) throw err;
    // `snowflake sql` is often run where the lake cannot be reached (no AWS credentials yet): not a warning.
    log.debug(
      { err: errorMessage(err) },
      "the lake's custom fields could not be read: only TRANSFORM_MODULE's are included",
    );
    lake = [];
  }
  if (!declared) return lake;
  const merged = mergeFields(lake, declared.fields);
  if (typeof merged === 'string')
    throw new TransformError(`The transform module ${declared.module}: ${merged}.`);
  return merged.fields;
}
