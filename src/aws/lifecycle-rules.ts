import type { LifecycleRule } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';

/**
 * S3 lifecycle rules for the lake's dataset prefixes. Only storage classes that stay instantly readable:
 * the warehouse, `snowflake status`, `snowflake setup --load-existing` and the writers (which learn a month
 * from the lake) read old objects with a plain GetObject. PutBucketLifecycleConfiguration replaces the whole
 * configuration, so the bucket's rules are read, ours replaced by their IDs, and the whole set written back.
 */

/** Instantly readable classes, with the documented minimum age of a transition to them. */
export const INSTANT_CLASSES = { INTELLIGENT_TIERING: 0, STANDARD_IA: 30, GLACIER_IR: 0 } as const;
export type InstantClass = keyof typeof INSTANT_CLASSES;

/** Classes refused, and why. */
export const REFUSED_CLASSES: Record<string, string> = {
  GLACIER:
    'Glacier Flexible Retrieval objects cannot be read until they are restored (minutes to hours, per object)',
  DEEP_ARCHIVE:
    'Glacier Deep Archive objects cannot be read until they are restored (up to 48 hours, per object)',
  ONEZONE_IA:
    'One Zone-IA keeps the data in a single Availability Zone, and the lake is the only full copy of your history (Spotify keeps only your last 50 plays)',
};

/** S3 does not transition objects under 128 KB to these classes by default (TransitionDefaultMinimumObjectSize). */
export const MIN_TRANSITION_BYTES = 128 * 1024;

/** Rules this tool owns carry this ID prefix and their dataset prefix: `spotify-pipeline:<prefix>`. */
export const RULE_ID_PREFIX = 'spotify-pipeline:';

export interface LifecycleOptions {
  storageClass: string;
  transitionDays: number;
  expireNoncurrentDays?: number;
  abortMultipartDays?: number;
}

export function ruleId(prefix: string): string {
  return `${RULE_ID_PREFIX}${prefix}`;
}

/**
 * The options with the class normalised; refuses classes that break reads and the combinations S3 itself
 * refuses, before anything is read.
 */
export function validateLifecycleOptions(
  o: LifecycleOptions,
): LifecycleOptions & { storageClass: InstantClass } {
  const cls = o.storageClass.toUpperCase();
  const refused = REFUSED_CLASSES[cls];
  if (refused)
    throw new ConfigError(
      `--storage-class ${cls} is refused: ${refused}. The warehouse, \`snowflake status\` and the writers read old lake objects directly. Use one that stays instantly readable: ${Object.keys(INSTANT_CLASSES).join(', ')}.`,
    );
  if (!(cls in INSTANT_CLASSES))
    throw new ConfigError(
      `--storage-class must be one of ${Object.keys(INSTANT_CLASSES).join(', ')} (got "${o.storageClass}").`,
    );
  const min = INSTANT_CLASSES[cls as InstantClass];
  if (o.transitionDays < min)
    throw new ConfigError(
      `--transition-days must be at least ${min} for ${cls}: S3 does not transition objects to it before they are ${min} days old.`,
    );
  return { ...o, storageClass: cls as InstantClass };
}

/** One rule per dataset prefix (a rule's filter holds one prefix). */
export function pipelineRules(prefixes: readonly string[], o: LifecycleOptions): LifecycleRule[] {
  return prefixes.map((prefix) => {
    const id = ruleId(prefix);
    if (id.length > 255)
      throw new ConfigError(`The lifecycle rule ID for ${prefix} would exceed S3's 255 characters.`);
    return {
      ID: id,
      Status: 'Enabled',
      Filter: { Prefix: prefix },
      Transitions: [{ Days: o.transitionDays, StorageClass: o.storageClass as InstantClass }],
      ...(o.expireNoncurrentDays
        ? { NoncurrentVersionExpiration: { NoncurrentDays: o.expireNoncurrentDays } }
        : {}),
      ...(o.abortMultipartDays
        ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: o.abortMultipartDays } }
        : {}),
    };
  });
}

/** Rules that only clean up old versions carry this ID prefix: `spotify-pipeline:noncurrent:<prefix>`. */
export const NONCURRENT_RULE_ID_PREFIX = `${RULE_ID_PREFIX}noncurrent:`;

/**
 * On a versioned bucket every overwrite keeps the old object as a noncurrent version, and every delete leaves
 * a delete marker. The datasets are write-once and make none; the objects the pipeline rewrites do: the lease
 * (renewed every TTL/3, about 4,300 times a day under run-continuous) and the state (ledgers, identity,
 * deleted outbox entries). Left alone, a key with millions of versions slows S3 down ("503 Slow Down ...
 * objects in the bucket for which there are millions of versions",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-versioning.html). These rules
 * expire only noncurrent versions and delete markers left with none (ExpiredObjectDeleteMarker, which "cannot
 * be specified with Days or Date", API_LifecycleExpiration.html): the current lease and state stay untouched,
 * and nothing there is transitioned.
 */
export function noncurrentCleanupRules(
  prefixes: readonly { prefix: string }[],
  noncurrentDays: number,
): LifecycleRule[] {
  return prefixes.map(({ prefix }) => ({
    ID: `${NONCURRENT_RULE_ID_PREFIX}${prefix}`,
    Status: 'Enabled',
    Filter: { Prefix: prefix },
    NoncurrentVersionExpiration: { NoncurrentDays: noncurrentDays },
    Expiration: { ExpiredObjectDeleteMarker: true },
  }));
}

const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/**
 * The prefixes no rule of ours may touch (the lease under PIPELINE_PREFIX of lake/layout.ts, a state prefix in the lake's bucket):
 * a dataset prefix that contains one of them is refused, since its rule would transition them too.
 */
export function assertSparesProtected(
  datasetPrefixes: readonly string[],
  protectedPrefixes: readonly { prefix: string; what: string }[],
): void {
  for (const d of datasetPrefixes)
    for (const p of protectedPrefixes)
      if (overlaps(d, p.prefix))
        throw new ConfigError(
          `The dataset prefix ${d} overlaps ${p.prefix} (${p.what}): a lifecycle rule for it would transition ${p.what} too. Give the ${p.what} a prefix of its own outside the datasets.`,
        );
}

/** Key-order-independent equality of two rules as S3 returns them. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export interface MergeResult {
  rules: LifecycleRule[];
  added: string[];
  replaced: string[];
  unchanged: string[];
  removed: string[];
  /** IDs of the bucket's other rules, kept as they are. */
  kept: string[];
  /** False when writing would not change the configuration. */
  changed: boolean;
}

/**
 * The bucket's rules with ours put in (or, with `remove`, taken out), matched by ID only: every other rule
 * is kept exactly as read, in its place.
 */
export function mergeRules(
  existing: readonly LifecycleRule[],
  ours: readonly LifecycleRule[],
  options: { remove?: boolean } = {},
): MergeResult {
  const ourIds = new Set(ours.map((r) => r.ID!));
  const result: MergeResult = {
    rules: [],
    added: [],
    replaced: [],
    unchanged: [],
    removed: [],
    kept: [],
    changed: false,
  };
  const placed = new Set<string>();
  for (const rule of existing) {
    const id = rule.ID ?? '';
    if (!ourIds.has(id)) {
      result.rules.push(rule);
      result.kept.push(id || '(a rule without an ID)');
      continue;
    }
    if (options.remove) {
      result.removed.push(id);
      continue;
    }
    const mine = ours.find((r) => r.ID === id)!;
    placed.add(id);
    result.rules.push(mine);
    (canonical(mine) === canonical(rule) ? result.unchanged : result.replaced).push(id);
  }
  if (!options.remove)
    for (const r of ours)
      if (!placed.has(r.ID!)) {
        result.rules.push(r);
        result.added.push(r.ID!);
      }
  if (result.rules.length > 1000)
    throw new ConfigError('The merged lifecycle configuration would hold more than 1,000 rules, S3’s limit.');
  result.changed = result.added.length + result.replaced.length + result.removed.length > 0;
  return result;
}

function rulePrefix(rule: LifecycleRule): string | undefined {
  const f = rule.Filter;
  // A rule filtered by tags only touches tagged objects; the pipeline tags none.
  if (f?.Tag || f?.And?.Tags?.length) return undefined;
  return f?.Prefix ?? f?.And?.Prefix ?? rule.Prefix ?? '';
}

/** Other rules of the bucket that would make lake objects, the lease or the state unreadable or delete them. */
export function foreignRuleWarnings(
  kept: readonly LifecycleRule[],
  watched: readonly { prefix: string; what: string }[],
): string[] {
  const out: string[] = [];
  for (const rule of kept) {
    if (rule.Status !== 'Enabled') continue;
    const prefix = rulePrefix(rule);
    if (prefix === undefined) continue;
    const hit = watched.filter((w) => overlaps(prefix, w.prefix)).map((w) => w.what);
    if (hit.length === 0) continue;
    const id = rule.ID ? `"${rule.ID}"` : 'without an ID';
    const where = prefix ? `prefix ${prefix}` : 'the whole bucket';
    const cold = (rule.Transitions ?? []).filter(
      (t) => t.StorageClass && !(t.StorageClass in INSTANT_CLASSES),
    );
    if (cold.length)
      out.push(
        `the bucket's rule ${id} (${where}) moves ${hit.join(', ')} to ${cold.map((t) => t.StorageClass).join(', ')}, which cannot be read without a restore: narrow its prefix or change its class.`,
      );
    if (rule.Expiration?.Days !== undefined || rule.Expiration?.Date !== undefined)
      out.push(
        `the bucket's rule ${id} (${where}) expires (deletes) ${hit.join(', ')}: the lake is the only full copy of your history; narrow its prefix.`,
      );
  }
  return out;
}

export interface PrefixSizes {
  prefix: string;
  objects: number;
  bytes: number;
  /** Objects of 128 KB or more: the only ones S3 transitions by default. */
  transitionable: number;
}

export function summarizeSizes(prefix: string, sizes: Iterable<number>): PrefixSizes {
  const s: PrefixSizes = { prefix, objects: 0, bytes: 0, transitionable: 0 };
  for (const size of sizes) {
    s.objects++;
    s.bytes += size;
    if (size >= MIN_TRANSITION_BYTES) s.transitionable++;
  }
  return s;
}

/** One line a person reads for a rule of ours. */
export function describeRule(rule: LifecycleRule): string {
  const parts = (rule.Transitions ?? []).map((t) => `to ${t.StorageClass} after ${t.Days} days`);
  if (rule.NoncurrentVersionExpiration?.NoncurrentDays)
    parts.push(`noncurrent versions expire after ${rule.NoncurrentVersionExpiration.NoncurrentDays} days`);
  if (rule.Expiration?.ExpiredObjectDeleteMarker) parts.push('delete markers left alone are removed');
  if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation)
    parts.push(
      `incomplete multipart uploads aborted after ${rule.AbortIncompleteMultipartUpload.DaysAfterInitiation} days`,
    );
  return `${rule.Filter?.Prefix}: ${parts.join('; ')}`;
}

/** After a write: are our rules there as written? (Lifecycle writes have no precondition: a concurrent edit wins.) */
export function rulesPresent(read: readonly LifecycleRule[], ours: readonly LifecycleRule[]): boolean {
  return ours.every((o) => read.some((r) => r.ID === o.ID && canonical(r) === canonical(o)));
}
