import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import type { CustomField } from './field-rules.js';
import { declareLakeFields, readLakeFields } from './lake-schema.js';
import { startTransform, type RecordTransform } from './transform-runner.js';

/**
 * The custom fields of a run that writes records: every field the lake's records carry (the lake's schema,
 * then the fields the transform module newly declares), filled by the module or null. Every record of a
 * dataset carries the same set once a field is declared, whether or not the module still gives it.
 */
export interface CustomFields {
  readonly fields: readonly CustomField[];
  /** The records with the fields appended after the core keys, in order; throws TransformError. */
  apply<T extends object>(kind: 'track' | 'episode', records: readonly T[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Opens the run's custom fields; undefined when there are none (no TRANSFORM_MODULE and none in the lake), so
 * records keep exactly their core shape. Call it while holding the lake's lease: new fields are recorded in
 * the lake here, before any record carrying them is written.
 */
export async function openCustomFields(config: Config, log: Logger): Promise<CustomFields | undefined> {
  const lake = await openLakeAreaStore(config);
  let transform: RecordTransform | undefined;
  let fields: CustomField[];
  if (config.transform) {
    transform = await startTransform(config.transform);
    let added: CustomField[];
    try {
      ({ fields, added } = await declareLakeFields(lake, transform.fields, transform.module));
    } catch (err) {
      await transform.close();
      throw err;
    }
    log.debug({ module: transform.module, fields: fields.map((f) => f.name) }, 'custom fields');
    if (added.length && config.raw.SNOWFLAKE_ACCOUNT) {
      log.warn(
        { fields: added.map((f) => f.name) },
        'new custom fields: run `spotify-pipeline snowflake setup` so the tables get their columns; until then Snowpipe drops their values (`snowflake status` lists them)',
      );
    }
  } else {
    fields = await readLakeFields(lake);
    if (fields.length === 0) return undefined;
  }
  const slot = fields.map((f) => transform?.fields.findIndex((d) => d.name === f.name) ?? -1);
  return {
    fields,
    async apply<T extends object>(kind: 'track' | 'episode', records: readonly T[]): Promise<T[]> {
      const values = transform ? await transform.valuesFor(kind, records) : [];
      return records.map((record, i) => {
        const out = { ...record } as Record<string, unknown>;
        fields.forEach((f, j) => {
          out[f.name] = slot[j]! >= 0 ? values[i]![slot[j]!] : null;
        });
        return out as T;
      });
    },
    close: async () => transform?.close(),
  };
}
