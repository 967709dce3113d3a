import { execFileSync, spawn } from 'node:child_process';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/s3-client.js';
import { continuousFixture, metricsUrl, RunningCli } from '../continuous/fixture.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { makePlays } from '../fakes/spotify-server.js';
import { collect, PROJECT_ROOT, tempDir } from '../helpers/cli.js';
import { s3Env } from '../helpers/s3rver.js';

/**
 * The image itself is built and run by scripts/image-smoke.sh (buildah and podman; minutes, so not in the
 * suite). Here: the Dockerfile's stages copy files that exist and that .dockerignore lets through; the runtime
 * stage is what it claims (Node 24 pinned to one release, production dependencies only, a non-root user, no
 * volume, the CLI as entry point, a HEALTHCHECK); and the runtime layout it produces runs: /app with dist/,
 * bin/, package.json and only the lockfile's non-dev packages, started as ENTRYPOINT + CMD with nothing but
 * environment variables, in an empty working directory and HOME, and its HEALTHCHECK command passes against it.
 */

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const upper = op!.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest!)!;
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? '');
      stages.push({ from, name: m[2], steps: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest!.split('=');
      args[k!] = v ?? '';
    } else {
      stages.at(-1)!.steps.push({ op: upper, args: rest! });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
const ignored = readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const runtime = dockerfile.stages.at(-1)!;
const steps = (stage: Stage, op: string) => stage.steps.filter((s) => s.op === op);
const execForm = (s: Instruction) => JSON.parse(s.args) as string[];

describe('the Dockerfile', () => {
  it('is multi-stage on one exact Node 24 release: a build stage with dev dependencies, production dependencies, a runtime', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    // An exact x.y.z tag: `node:24-…` would move under a rebuild. .ci/run tests this very version.
    for (const s of dockerfile.stages) expect(s.from).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    const runs = (name: string) =>
      steps(
        dockerfile.stages.find((s) => s.name === name)!,
        'RUN',
      )
        .map((s) => s.args)
        .join('\n');
    expect(runs('build')).toMatch(/npm ci --ignore-scripts/);
    expect(runs('build')).toMatch(/npm run build/);
    expect(runs('deps')).toMatch(/npm ci --omit=dev --ignore-scripts/);
    // The runtime stage installs nothing: it copies the two stages' results.
    expect(steps(runtime, 'RUN')).toEqual([]);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const names = new Set(dockerfile.stages.map((s) => s.name));
    for (const [i, stage] of dockerfile.stages.entries()) {
      for (const copy of steps(stage, 'COPY')) {
        const parts = copy.args.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='));
        const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
        if (from) {
          const stageName = from.slice('--from='.length);
          expect(names.has(stageName), copy.args).toBe(true);
          expect(dockerfile.stages.findIndex((s) => s.name === stageName)).toBeLessThan(i);
          continue;
        }
        for (const src of sources) {
          expect(existsSync(path.join(PROJECT_ROOT, src)), `${src} exists`).toBe(true);
          expect(ignored.includes(src.replace(/\/$/, '')), `${src} is not in .dockerignore`).toBe(false);
        }
      }
    }
  });

  it('never sends secrets or local state to the builder', () => {
    for (const p of ['.env', '.pipeline', 'node_modules', '.git', 'data']) expect(ignored).toContain(p);
  });

  it('runs as a non-root user, needs no volume, and starts the CLI with run-continuous by default', () => {
    const users = steps(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile.stages.flatMap((s) => steps(s, 'VOLUME'))).toEqual([]);
    expect(execForm(steps(runtime, 'ENTRYPOINT').at(-1)!)).toEqual(['node', '/app/bin/spotify-pipeline.js']);
    expect(execForm(steps(runtime, 'CMD').at(-1)!)).toEqual(['run-continuous']);
  });

  it("has a HEALTHCHECK on the service's /healthz, at the METRICS_PORT the image sets", () => {
    expect(healthcheck()).toEqual(['node', '-e', expect.stringContaining('/healthz') as string]);
    expect(steps(runtime, 'ENV').map((e) => e.args)).toContain('METRICS_PORT=9464');
  });
});

/** The HEALTHCHECK's command (exec form). */
function healthcheck(): string[] {
  const line = steps(runtime, 'HEALTHCHECK').at(-1)!.args;
  return JSON.parse(/\bCMD\s+(\[.*\])$/.exec(line)![1]!) as string[];
}

/** The runtime stage's /app, made here: dist, bin, package.json and the non-dev packages of the lockfile. */
async function runtimeLayout(): Promise<string> {
  const app = path.join(await tempDir('container-app-'), 'app');
  await fs.mkdir(path.join(app, 'node_modules'), { recursive: true });
  for (const copy of steps(runtime, 'COPY').filter((c) => !c.args.includes('--from'))) {
    const [src] = copy.args.split(/\s+/);
    await fs.cp(path.join(PROJECT_ROOT, src!), path.join(app, src!), { recursive: true });
  }
  await fs.cp(path.join(PROJECT_ROOT, 'dist'), path.join(app, 'dist'), { recursive: true });
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  // npm ci --omit=dev: every package the lockfile does not mark dev (optional ones of other platforms are
  // simply not installed). Hard links: the same files, no copy of a few hundred megabytes.
  const modules = path.join(PROJECT_ROOT, 'node_modules');
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev) continue;
    const rel = key.replace(/^node_modules\//, '');
    if (rel.includes('/node_modules/')) continue; // nested: comes along with its parent
    const source = path.join(modules, rel);
    if (!existsSync(source)) continue;
    const target = path.join(app, 'node_modules', rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    execFileSync('cp', ['-al', source, target]);
  }
  return app;
}

/** Every file under `dir`, relative. */
async function localFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('the runtime layout, run as the container runs it', () => {
  let app: string;
  let s3: ConditionalS3;
  beforeAll(async () => {
    app = await runtimeLayout();
    process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
    s3 = await startConditionalS3(['lake', 'state']);
  }, 120_000);
  afterAll(async () => {
    await s3?.close();
  });

  /** ENTRYPOINT + CMD (or the given command instead of CMD), with /app at the layout. */
  function containerCommand(command?: string[]): string[] {
    const entry = execForm(steps(runtime, 'ENTRYPOINT').at(-1)!).map((a) => a.replace(/^\/app\//, `${app}/`));
    return [...entry, ...(command ?? execForm(steps(runtime, 'CMD').at(-1)!))];
  }
  function start(command: string[] | undefined, env: Record<string, string | undefined>, cwd: string) {
    const [bin, ...args] = containerCommand(command);
    expect(bin).toBe('node');
    return spawn(process.execPath, args, {
      cwd,
      // Only what a task definition would set: no inherited developer settings, HOME an empty folder.
      env: { PATH: process.env.PATH, HOME: cwd, NODE_ENV: 'production', ...env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  it('has no dev dependency to lean on', () => {
    for (const dev of ['typescript', 'vitest', 'tsx', 's3rver', 'eslint'])
      expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', '@duckdb', 'node-api'))).toBe(true);
  });

  it('--help works', async () => {
    const cwd = await tempDir('container-cwd-');
    const res = await collect(start(['--help'], {}, cwd));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('run-continuous');
  });

  it('a run-once with only environment variables writes to S3 and nothing to the local disk; run-continuous stops cleanly on SIGTERM', async () => {
    const fx = await continuousFixture();
    try {
      fx.spotify.addPlays('alice', makePlays(4, new Date(Date.now() - 3_600_000)));
      const env = {
        ...fx.env,
        ...s3Env(s3.endpoint, 'lake'),
        STATE_URL: 's3://state/spotify/',
        METRICS_FORMAT: 'emf',
        LOG_LEVEL: 'info',
      };
      const cwd = await tempDir('container-cwd-');
      const once = await collect(start(['run-once', '--json'], env, cwd));
      expect(once.code, once.stderr).toBe(0);
      expect(JSON.parse(once.stdout)).toMatchObject({ outcome: 'ok', plays_new: 4 });
      expect(await localFiles(cwd)).toEqual([]);
      expect(s3.proxy.count({ kind: 'PUT', bucket: 'lake', prefix: 'spotify_listening_history/' })).toBe(1);
      expect(s3.proxy.count({ kind: 'PUT', bucket: 'state' })).toBeGreaterThan(0);

      // The default command. SIGTERM's handling in depth (a collection in flight, the timeout) is tested in
      // test/continuous/run-continuous.test.ts; here: the image's entry point exits 0 on the signal ECS and
      // Kubernetes send, and leaves the lease released.
      fx.spotify.addPlays('alice', makePlays(2, new Date(Date.now() - 600_000), { firstTrack: 100 }));
      const cwd2 = await tempDir('container-cwd-');
      // METRICS_PORT as the image sets it, but 0 (a free port: tests run side by side).
      const service = new RunningCli(
        start(undefined, { ...env, FETCH_INTERVAL_MINUTES: '60', METRICS_PORT: '0' }, cwd2),
      );
      await service.collections(1);
      const port = new URL(await metricsUrl(service)).port;
      const [node, ...probe] = healthcheck();
      expect(node).toBe('node');
      const health = await collect(
        spawn(process.execPath, probe, {
          env: { PATH: process.env.PATH, METRICS_PORT: port },
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      expect(health.code, health.stderr).toBe(0);
      const stopped = await service.stop('SIGTERM');
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(service.finishedCollections()[0]).toMatchObject({ outcome: 'ok', new: 2 });
      expect(await localFiles(cwd2)).toEqual([]);
      const client = await createS3Client({
        endpointUrl: s3.endpoint,
        region: 'us-east-1',
        bucket: 'lake',
        dataDir: '',
        prefix: '',
      });
      const got = await client.send(new GetObjectCommand({ Bucket: 'lake', Key: '_pipeline/lease.json' }));
      const lease = JSON.parse(await got.Body!.transformToString()) as { released_at: string | null };
      client.destroy();
      expect(lease.released_at).not.toBeNull();
    } finally {
      await fx.close();
    }
  });
});
