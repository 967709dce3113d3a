import { z } from 'zod';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import type { ObjectWrittenHook } from '../lake/object-written-hooks.js';
import type { Logger } from '../log.js';
import { readStateJson, writeStateJson } from '../state/json-file.js';
import { STATE_KEYS } from '../state/layout.js';
import { openStateStore } from '../state/open-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { JwtSource, loadPrivateKey } from './jwt.js';
import { loadSnowflakeSettings, requireConnection, type SnowflakeObjects } from './settings.js';
import { SnowpipeRestClient } from './snowpipe-rest.js';
import { stageTarget } from './stage-paths.js';

const pendingSchema = z.object({
  v: z.literal(1),
  files: z.array(z.object({ pipe: z.string(), path: z.string(), key: z.string() })),
});
export type PendingFile = z.infer<typeof pendingSchema>['files'][number];

const PENDING_KEY = STATE_KEYS.snowpipePending;

/** The queue of paths not yet announced. */
export async function readPending(state: StateStore): Promise<PendingFile[]> {
  return (await readStateJson(state, PENDING_KEY, (v) => pendingSchema.parse(v)))?.files ?? [];
}

async function writePending(state: StateStore, files: PendingFile[]): Promise<void> {
  await writeStateJson(state, PENDING_KEY, { v: 1, files });
}

/**
 * Tells Snowpipe about lake objects (SNOWPIPE_MODE=rest). A failed call never fails the collection: the
 * object is already durable in the lake, so its path is queued in the state's snowflake/snowpipe-pending.json
 * and sent again with the next object (or by `snowflake setup --load-existing`); `snowflake status` shows the queue.
 */
export class SnowpipeNotifier {
  constructor(
    private readonly objects: SnowflakeObjects,
    private readonly client: SnowpipeRestClient,
    private readonly state: StateStore,
    private readonly log: Logger,
  ) {}

  /** Sends `keys` plus whatever is still queued; returns how many paths remain queued. */
  async notify(keys: string[]): Promise<number> {
    const queued = await readPending(this.state);
    const fresh: PendingFile[] = [];
    for (const key of keys) {
      const target = stageTarget(this.objects, key);
      if (target) fresh.push({ pipe: target.pipe, path: target.path, key });
    }
    const all = dedupe([...queued, ...fresh]);
    if (all.length === 0) return 0;
    const byPipe = new Map<string, PendingFile[]>();
    for (const f of all) byPipe.set(f.pipe, [...(byPipe.get(f.pipe) ?? []), f]);
    const failed: PendingFile[] = [];
    for (const [pipe, files] of byPipe) {
      try {
        const { unmatched } = await this.client.insertFiles(
          pipe,
          files.map((f) => f.path),
        );
        // Not queued again: the pipe's PATTERN will never take them, so resending cannot help.
        if (unmatched.length)
          this.log.warn(
            { pipe, unmatched },
            "Snowpipe skipped file(s) that do not match the pipe's PATTERN: they are not loaded (check the lake's object names and SNOWFLAKE_STAGE_PREFIX)",
          );
      } catch (err) {
        failed.push(...files);
        this.log.warn(
          { pipe, files: files.length, err: errorMessage(err) },
          'Snowpipe insertFiles failed: the files stay queued and are sent again with the next object',
        );
      }
    }
    if (failed.length || queued.length) await writePending(this.state, failed);
    return failed.length;
  }

  hook(): ObjectWrittenHook {
    return async (write) => {
      await this.notify([write.key]);
    };
  }
}

function dedupe(files: PendingFile[]): PendingFile[] {
  const seen = new Set<string>();
  return files.filter((f) => {
    const id = `${f.pipe}\n${f.path}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The REST notifier when SNOWPIPE_MODE=rest, else undefined. */
export async function createSnowpipeNotifier(
  config: Config,
  log: Logger,
): Promise<SnowpipeNotifier | undefined> {
  const settings = loadSnowflakeSettings(config);
  if (settings.objects.mode !== 'rest') return undefined;
  const conn = requireConnection(settings);
  const jwt = new JwtSource(conn.account, conn.user, loadPrivateKey(conn.privateKeyPath, conn.passphrase));
  return new SnowpipeNotifier(
    settings.objects,
    new SnowpipeRestClient(conn, () => jwt.token()),
    await openStateStore(config),
    log,
  );
}
