import { InvalidArgumentError, type Command } from 'commander';
import { action } from './command-runner.js';

interface LifecycleFlags {
  apply?: boolean;
  remove?: boolean;
  storageClass: string;
  transitionDays: number;
  expireNoncurrentDays?: number;
  abortMultipartDays?: number;
  sizeCheck: boolean;
  json?: boolean;
}

function days(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 36_500)
      throw new InvalidArgumentError(`must be a whole number of days from ${min}`);
    return Number(value);
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function registerLakeCommands(program: Command): void {
  const lake = program.command('lake').description('the lake in its bucket: storage lifecycle');

  lake
    .command('lifecycle')
    .description(
      'print (and with --apply write) the S3 lifecycle rules of the lake’s dataset prefixes, merged with the bucket’s other rules',
    )
    .option('--apply', 'write the merged configuration to the bucket (default: print it only)')
    .option('--remove', 'take this tool’s rules out of the bucket’s configuration instead')
    .option(
      '--storage-class <class>',
      'INTELLIGENT_TIERING, STANDARD_IA or GLACIER_IR (instantly readable; GLACIER and DEEP_ARCHIVE are refused)',
      'INTELLIGENT_TIERING',
    )
    .option(
      '--transition-days <n>',
      'days after creation before the transition (STANDARD_IA: 30 or more)',
      days(0),
      30,
    )
    .option(
      '--expire-noncurrent-days <n>',
      'on a versioned bucket, delete noncurrent versions this many days after they became noncurrent: under the lease (_pipeline/) and a state prefix in the bucket, which are rewritten (the datasets are write-once and have none)',
      days(1),
    )
    .option('--abort-multipart-days <n>', 'abort incomplete multipart uploads after this many days', days(1))
    .option('--no-size-check', 'do not list the datasets to count the objects a transition would move')
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      '\nRules are named spotify-pipeline:<prefix>; every other rule of the bucket is kept as it is. The lease\n(_pipeline/) and a state prefix in the bucket are never transitioned. S3 does not transition objects\nunder 128 KB, and most lake files are smaller: the size check says how many would move.',
    )
    .action(
      action(async (ctx, flags: LifecycleFlags) => {
        const { ConfigError } = await import('../errors.js');
        const { storage, state } = ctx.config;
        if (!storage.bucket)
          throw new ConfigError(
            `lake lifecycle works on an S3 lake: set S3_BUCKET_NAME (the lake is the local folder ${storage.dataDir}, which has no lifecycle rules).`,
          );
        const lc = await import('../aws/lifecycle.js');
        const { lakeDatasetPrefixes, PIPELINE_PREFIX } = await import('../lake/layout.js');
        const options = lc.validateLifecycleOptions({
          storageClass: flags.storageClass,
          transitionDays: flags.transitionDays,
          expireNoncurrentDays: flags.expireNoncurrentDays,
          abortMultipartDays: flags.abortMultipartDays,
        });
        const bucket = storage.bucket;
        const prefixes = lakeDatasetPrefixes(storage.prefix);
        const protectedPrefixes = [
          { prefix: PIPELINE_PREFIX, what: 'the lease' },
          ...(state.kind === 's3' && state.bucket === bucket && state.prefix
            ? [{ prefix: state.prefix, what: 'the pipeline state' }]
            : []),
        ];
        lc.assertSparesProtected(prefixes, protectedPrefixes);

        const [{ createS3Client }, { S3ObjectStore }] = await Promise.all([
          import('../aws/s3-client.js'),
          import('../lake/s3-store.js'),
        ]);
        const client = await createS3Client(storage);
        try {
          const current = await lc.readLifecycle(client, bucket);
          const ours = [
            ...lc.pipelineRules(prefixes, options),
            // On a versioned bucket: the lease and the state are rewritten, so their old versions expire.
            ...(options.expireNoncurrentDays || flags.remove
              ? lc.noncurrentCleanupRules(protectedPrefixes, options.expireNoncurrentDays ?? 1)
              : []),
          ];
          const merged = lc.mergeRules(current.rules, ours, { remove: flags.remove });
          const keptRules = current.rules.filter((r) => !ours.some((o) => o.ID === r.ID));
          const warnings = lc.foreignRuleWarnings(keptRules, [
            ...prefixes.map((p) => ({ prefix: p, what: `the lake (${p})` })),
            ...protectedPrefixes,
          ]);
          if (state.kind === 's3' && state.bucket === bucket && !state.prefix)
            warnings.push(
              'STATE_URL has no prefix, so the state shares the bucket root with the lake: give it a prefix of its own (e.g. s3://bucket/_pipeline_state/).',
            );
          const sizes: ReturnType<typeof lc.summarizeSizes>[] = [];
          if (flags.sizeCheck && !flags.remove) {
            const store = new S3ObjectStore(client, bucket);
            for (const prefix of prefixes) {
              const found: number[] = [];
              for await (const o of store.list(prefix)) found.push(o.size);
              sizes.push(lc.summarizeSizes(prefix, found));
            }
          }
          let applied = false;
          if (flags.apply && merged.changed) {
            await lc.writeLifecycle(client, bucket, merged.rules, current.minimumObjectSize);
            const confirmed = await lc.confirmWritten(
              () => lc.readLifecycle(client, bucket),
              (rules) =>
                flags.remove
                  ? !rules.some((r) => ours.some((o) => o.ID === r.ID))
                  : lc.rulesPresent(rules, ours),
            );
            if (!confirmed)
              warnings.push(
                `the configuration read back from s3://${bucket} does not show this write yet. S3 takes up to a few minutes to propagate a lifecycle change; if \`lake lifecycle\` still shows it missing later, someone else edited the configuration meanwhile.`,
              );
            applied = true;
          }
          const configuration = {
            Rules: merged.rules,
            ...(current.minimumObjectSize
              ? { TransitionDefaultMinimumObjectSize: current.minimumObjectSize }
              : {}),
          };
          if (flags.json) {
            const { rules: _rules, ...changes } = merged;
            process.stdout.write(
              `${JSON.stringify({ bucket, applied, ...changes, configuration, sizes, warnings, protected: protectedPrefixes })}\n`,
            );
            return 0;
          }
          const out: string[] = [];
          const mode = flags.apply
            ? applied
              ? 'written'
              : 'already as asked: nothing written'
            : 'dry run: nothing is changed; --apply writes it';
          out.push(`Lifecycle of s3://${bucket} (${mode})`);
          const mark = (id: string) =>
            merged.added.includes(id)
              ? 'new'
              : merged.replaced.includes(id)
                ? 'replaces the old one'
                : 'unchanged';
          if (flags.remove) {
            out.push(
              merged.removed.length
                ? `  removed: ${merged.removed.join(', ')}`
                : '  none of this tool’s rules are on the bucket: nothing to remove',
            );
          } else {
            for (const r of ours) out.push(`  ${r.ID} (${mark(r.ID!)}): ${lc.describeRule(r)}`);
          }
          out.push(
            `  other rules, kept as they are: ${merged.kept.length ? merged.kept.join(', ') : 'none'}`,
          );
          out.push(
            `  never transitioned: ${protectedPrefixes.map((p) => `${p.prefix} (${p.what})`).join(', ')}`,
          );
          for (const s of sizes)
            out.push(
              `  ${s.prefix}: ${s.objects} objects, ${mb(s.bytes)}; ${s.transitionable} of them are 128 KB or more`,
            );
          if (sizes.length && sizes.some((s) => s.objects > s.transitionable))
            out.push(
              '  note: S3 does not transition objects under 128 KB (they stay in STANDARD, where they cost less than in an infrequent-access class, which bills each object as at least 128 KB).',
            );
          for (const w of warnings) out.push(`  warning: ${w}`);
          if (!flags.apply) {
            out.push(
              merged.rules.length
                ? 'The configuration --apply writes (it replaces the bucket’s whole lifecycle configuration):'
                : 'With --apply the bucket’s lifecycle configuration is deleted (no rules are left):',
            );
            if (merged.rules.length) out.push(JSON.stringify(configuration, null, 2));
          }
          process.stdout.write(`${out.join('\n')}\n`);
          return 0;
        } finally {
          client.destroy();
        }
      }),
    );
}
