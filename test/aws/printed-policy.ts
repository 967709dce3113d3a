import type { PolicyDocument } from '../../src/aws/iam-policy.js';
import { runCli, tempDir } from '../helpers/cli.js';

const printed = new Map<string, PolicyDocument>();

/**
 * The policy `spotify-pipeline iam policy --json` prints for these settings (the CLI itself, as a user would
 * run it), remembered per environment: tests hand it to the S3 double (`proxy.enforce`) so that their runs
 * get only what a role with that policy would.
 */
export async function printedPolicy(
  env: Record<string, string | undefined>,
  args: string[] = [],
): Promise<PolicyDocument> {
  // HOME differs per container and the policy does not depend on it.
  const key = JSON.stringify(
    Object.entries(env)
      .filter(([name]) => name !== 'HOME')
      .sort(),
  );
  const known = printed.get(key);
  if (known) return known;
  const cwd = await tempDir('iam-policy-');
  const res = await runCli(['iam', 'policy', '--json', ...args], { cwd, env: { ...env, HOME: cwd } });
  if (res.code !== 0) throw new Error(`iam policy failed: ${res.stderr}`);
  const { policy } = JSON.parse(res.stdout) as { policy: PolicyDocument };
  printed.set(key, policy);
  return policy;
}
