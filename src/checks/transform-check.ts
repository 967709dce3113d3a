import { errorMessage } from '../errors.js';
import type { ConnectionCheck } from './check.js';

/**
 * With TRANSFORM_MODULE set: the module loads in its thread, its declaration is valid, and it agrees with the
 * types the lake's records already carry, so the next run will not stop on it before writing.
 */
export const transformCheck: ConnectionCheck = async (config, log) => {
  if (!config.transform) return [];
  const name = `transform module (${config.transform.module})`;
  try {
    const { lakeCustomFields } = await import('../custom-fields/lake-custom-fields.js');
    const fields = await lakeCustomFields(config, log, { declare: false });
    return [
      {
        name,
        ok: true,
        detail: `records carry ${fields.map((f) => `${f.name} (${f.type})`).join(', ')}`,
      },
    ];
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};
