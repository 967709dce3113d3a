// The `prepare` script: builds dist/ on `npm ci` / `npm install`, and does nothing under `npx`.
//
// Why: npm 11's `npx spotify-pipeline`, run in this checkout, sees that the project's own package.json
// declares the bin and "installs" the checkout into npm's cache (~/.npm/_npx/<hash>) as a link, which runs
// `prepare` in the checkout again (libnpmexec lib/index.js, "self-execution of a local bin",
// https://github.com/npm/cli/tree/latest/workspaces/libnpmexec). That second `tsc` cost 10-12 s of silence
// on the first call, and failed with exit 2 and no message for a user who cannot write the checkout.
// npm tells a lifecycle script which command runs it in `npm_command` (`exec` for npx,
// https://docs.npmjs.com/cli/using-npm/scripts#environment). The same holds for `npm link`, the README's
// one-time step that puts `spotify-pipeline` on the PATH: the checkout was already built by `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const reuse = ['exec', 'link'].includes(process.env.npm_command ?? '');
if (reuse && existsSync(new URL('../dist/cli.js', import.meta.url))) process.exit(0);
// The same as `npm run build`, without a second npm start-up.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
