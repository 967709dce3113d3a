import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, PROJECT_ROOT } from '../helpers/cli.js';

/**
 * The command table of docs/commands.md and `--help` must agree: every command `--help` lists has a row, every
 * flag and argument its `--help` shows is in that row, and every command and flag a row's synopsis names exists.
 * The README's short table must name every command too. Commands are found by walking `--help` itself, so a new
 * command or flag fails here, named, until the docs have it. (Run `npm run build` first: this reads the built
 * CLI's help.)
 */

interface HelpCommand {
  /** e.g. "auth logout". */
  path: string;
  usage: string;
  /** Long flags, e.g. "--no-open"; --help itself left out. */
  flags: string[];
  /** As in the usage line: "<path...>", "[id]". */
  args: string[];
}

const run = promisify(execFile);

async function help(words: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...words, '--help'], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, COLUMNS: '200' },
  });
  return stdout;
}

/** The lines of one section ("Options:", "Commands:") of commander's help. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || !line.startsWith(' ')) break;
    out.push(line);
  }
  return out;
}

/** The term of each entry (an entry starts two spaces in; its description follows two or more spaces on). */
const terms = (lines: string[]) =>
  lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.slice(2).split(/\s{2,}/)[0]!);

/** Every leaf command, found by walking `--help` from the root. */
async function helpTree(words: string[] = []): Promise<{ root: string; leaves: HelpCommand[] }> {
  const text = await help(words);
  const subcommands = terms(section(text, 'Commands'))
    .map((t) => t.split(' ')[0]!)
    .filter((name) => name !== 'help');
  if (words.length > 0 && subcommands.length === 0) {
    const usage = /^Usage: (.*)$/m.exec(text)?.[1] ?? '';
    const args = usage
      .split(' ')
      .slice(1 + words.length)
      .filter((t) => /^[<[]/.test(t) && t !== '[options]' && t !== '[command]');
    const flags = terms(section(text, 'Options'))
      .flatMap((t) => t.match(/--[a-z0-9-]+/g) ?? [])
      .filter((f) => f !== '--help');
    return { root: text, leaves: [{ path: words.join(' '), usage, flags, args }] };
  }
  const leaves: HelpCommand[] = [];
  for (const name of subcommands) leaves.push(...(await helpTree([...words, name])).leaves);
  return { root: text, leaves };
}

interface ReadmeRow {
  path: string;
  synopsis: string;
  row: string;
}

/** The rows of the table under "## Commands": the synopsis is the first cell's code span. */
function readmeCommands(readme: string): { intro: string; rows: ReadmeRow[] } {
  const start = readme.indexOf('\n## Commands\n');
  const end = readme.indexOf('\n#', start + 1);
  const body = readme.slice(start, end);
  const tableAt = body.indexOf('\n|');
  const rows = body
    .slice(tableAt)
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1) // the header
    .map((row) => {
      const first = row.split(/(?<!\\)\|/)[1]!.trim();
      const synopsis = first.replace(/^`|`$/g, '').replaceAll('\\|', '|');
      const words: string[] = [];
      for (const w of synopsis.split(' ')) {
        if (!/^[a-z][a-z0-9-]*$/.test(w)) break;
        words.push(w);
      }
      return { path: words.join(' '), synopsis, row };
    });
  return { intro: body.slice(0, tableAt), rows };
}

/** The commands named in the first cells of the README's short table (`auth login` / `auth status`, …). */
function readmeShortTable(readme: string): string[] {
  const start = readme.indexOf('\n## Commands\n');
  const end = readme.indexOf('\n#', start + 1);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .flatMap((row) => [...row.split(/(?<!\\)\|/)[1]!.matchAll(/`([^`]*)`/g)].map((m) => m[1]!))
    .map((synopsis) => {
      const words: string[] = [];
      for (const w of synopsis.split(' ')) {
        if (!/^[a-z][a-z0-9-]*$/.test(w)) break;
        words.push(w);
      }
      return words.join(' ');
    });
}

const flagsIn = (text: string) => new Set(text.match(/--[a-z0-9-]+/g) ?? []);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every disagreement between `--help` (the root's text and the leaf commands) and the README, in words. */
function compare(root: string, leaves: HelpCommand[], readme: string): string[] {
  const { intro, rows } = readmeCommands(readme);
  const problems: string[] = [];
  for (const flag of terms(section(root, 'Options')).flatMap((t) => t.match(/--[a-z0-9-]+/g) ?? []))
    if (flag !== '--help' && !flagsIn(intro).has(flag))
      problems.push(
        `global flag ${flag} (spotify-pipeline --help) is not named above the command table of docs/commands.md`,
      );

  for (const command of leaves) {
    const row = rows.find((r) => r.path === command.path);
    if (!row) {
      problems.push(
        `docs/commands.md (## Commands) has no row for "${command.path}"; its --help shows: ${command.usage} ${command.flags.join(' ')}`,
      );
      continue;
    }
    const inRow = flagsIn(row.row);
    for (const flag of command.flags)
      if (!inRow.has(flag))
        problems.push(
          `docs/commands.md row "${command.path}" lacks ${flag}, which \`${command.path} --help\` shows`,
        );
    for (const arg of command.args) {
      const name = arg.slice(1, -1).toUpperCase();
      const shown = arg.startsWith('[')
        ? row.synopsis.includes(`[${name}]`)
        : new RegExp(`(^| )${escape(name)}( |$)`).test(row.synopsis);
      if (!shown)
        problems.push(
          `docs/commands.md row "${command.path}" should show the argument ${arg.startsWith('[') ? `[${name}]` : name} (\`${command.usage}\`)`,
        );
    }
    const known = new Set(command.flags);
    for (const flag of flagsIn(row.synopsis))
      if (!known.has(flag))
        problems.push(
          `docs/commands.md row "${command.path}" names ${flag}, which \`${command.path} --help\` does not have`,
        );
  }
  for (const row of rows)
    if (!leaves.some((c) => c.path === row.path))
      problems.push(
        `docs/commands.md row "${row.synopsis}" is not a command of --help (a leaf such as "auth login")`,
      );
  return problems;
}

describe('the command tables (docs/commands.md in full, the README in short)', () => {
  it('agree with --help: every command, flag and argument', async () => {
    const { root, leaves } = await helpTree();
    const commands = readFileSync(path.join(PROJECT_ROOT, 'docs', 'commands.md'), 'utf8');
    // Each line names what to add or fix in docs/commands.md's "## Commands" table.
    expect(compare(root, leaves, commands)).toEqual([]);
    // And the README's short table names every command (a row may name several: `auth login` / `auth status`).
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const named = readmeShortTable(readme);
    expect(leaves.map((c) => c.path).filter((p) => !named.includes(p))).toEqual([]);
    expect(named.filter((p) => !leaves.some((c) => c.path === p))).toEqual([]);
    // The walk itself found the commands (a broken parser would find none and pass).
    expect(leaves.map((c) => c.path)).toEqual(
      expect.arrayContaining(['setup', 'auth logout', 'import', 'query', 'snowflake status']),
    );
    expect(leaves.find((c) => c.path === 'query')).toMatchObject({
      args: ['<sql>'],
      flags: expect.arrayContaining(['--format', '--max-rows', '--no-refresh']),
    });
    expect(leaves.find((c) => c.path === 'auth logout')?.args).toEqual(['[id]']);
  });

  it('names each missing row, flag and argument, and each row or flag --help does not have', () => {
    const root =
      'Usage: spotify-pipeline [options] [command]\n\nOptions:\n  --state-dir <dir>  state\n  -V, --version  version\n  -h, --help  help\n';
    const leaves: HelpCommand[] = [
      {
        path: 'query',
        usage: 'spotify-pipeline query [options] <sql>',
        flags: ['--format', '--max-rows'],
        args: ['<sql>'],
      },
      {
        path: 'auth logout',
        usage: 'spotify-pipeline auth logout [options] [id]',
        flags: [],
        args: ['[id]'],
      },
      {
        path: 'state migrate',
        usage: 'spotify-pipeline state migrate [options]',
        flags: ['--dry-run'],
        args: [],
      },
    ];
    const readme = [
      '',
      '## Commands',
      '',
      'Global flags `--state-dir`.',
      '',
      '| command | does |',
      '| --- | --- |',
      '| `query [--format table\\|json\\|csv] [--limit N]` | SQL |',
      '| `auth logout` | forgets |',
      '| `lake lifecycle` | ... |',
      '',
      '## Next',
    ].join('\n');
    expect(compare(root, leaves, readme)).toEqual([
      'global flag --version (spotify-pipeline --help) is not named above the command table of docs/commands.md',
      'docs/commands.md row "query" lacks --max-rows, which `query --help` shows',
      'docs/commands.md row "query" should show the argument SQL (`spotify-pipeline query [options] <sql>`)',
      'docs/commands.md row "query" names --limit, which `query --help` does not have',
      'docs/commands.md row "auth logout" should show the argument [ID] (`spotify-pipeline auth logout [options] [id]`)',
      'docs/commands.md (## Commands) has no row for "state migrate"; its --help shows: spotify-pipeline state migrate [options] --dry-run',
      'docs/commands.md row "lake lifecycle" is not a command of --help (a leaf such as "auth login")',
    ]);
    expect(
      terms(
        section(
          'Options:\n  --max-rows <n>  rows shown\n                  (default: 1000)\n  -h, --help  help\n',
          'Options',
        ),
      ),
    ).toEqual(['--max-rows <n>', '-h, --help']);
  });
});
