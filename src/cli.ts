import { Command, Help } from 'commander';
import { registerAuthCommands } from './commands/auth-commands.js';
import { registerCollectCommands } from './commands/collect-commands.js';
import { jsonFailure } from './commands/command-runner.js';
import { registerContinuousCommands } from './commands/continuous-commands.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerIamCommands } from './commands/iam-commands.js';
import { registerLakeCommands } from './commands/lake-commands.js';
import { registerImportCommands } from './commands/import-commands.js';
import { registerSetupCommand } from './commands/setup-command.js';
import { registerSnowflakeCommands } from './commands/snowflake-commands.js';
import { registerStateCommands } from './commands/state-commands.js';
import { registerStatsCommand } from './commands/stats-command.js';
import { registerTestCommand } from './commands/test-command.js';
import { registerWarehouseCommands } from './commands/warehouse-commands.js';

// Each register function only declares its command; the work (and heavy modules such as the AWS SDK
// or DuckDB) is imported when the command runs, so `--help` stays fast.
const program = new Command()
  .name('spotify-pipeline')
  .description(
    'Keep your complete Spotify listening history in your own data lake (local folder or S3) and warehouse.',
  )
  .version('0.1.0')
  .option('--state-dir <dir>', 'state folder (overrides STATE_DIR)')
  .option('--state-url <url>', 'state store: s3://bucket/prefix/ or a folder (overrides STATE_URL)')
  .option('--data-dir <dir>', 'local lake folder (overrides DATA_DIR)')
  .option('--transform <module>', 'custom fields: a transform module (overrides TRANSFORM_MODULE)')
  .option(
    '--log-level <level>',
    'fatal|error|warn|info|debug|trace|silent (overrides LOG_LEVEL; default: warn on a terminal, else info)',
  )
  .option('-q, --quiet', 'errors only: no log lines, warnings or progress bar')
  // One line pointing to the help, not the whole help: printed after the error, 60 lines of it buried the
  // error's own "(Did you mean …?)".
  .showHelpAfterError(
    '(`spotify-pipeline --help` lists the commands, `spotify-pipeline COMMAND --help` their options)',
  )
  // Required options say so, in the usage line and in their description (commander shows neither).
  .configureHelp({
    commandUsage(this: Help, cmd: Command) {
      const usage = Help.prototype.commandUsage.call(this, cmd);
      const required = cmd.options.filter((o) => o.mandatory).map((o) => o.flags);
      return required.length ? usage.replace('[options]', `${required.join(' ')} [options]`) : usage;
    },
    optionDescription(this: Help, option) {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  })
  .configureOutput({ outputError: (str, write) => write(str) })
  // Usage errors exit 2 (docs/commands.md, exit codes); help and version exit 0. Set before the commands are added:
  // commander copies this setting only to subcommands created after it.
  .exitOverride((err) => {
    // A usage error of a `--json` run still gives its one JSON object on stdout (the message is on stderr).
    if (err.exitCode !== 0 && process.argv.slice(2).includes('--json')) {
      const message = err.message.replace(/^error: /, '');
      process.stdout.write(`${JSON.stringify(jsonFailure(undefined, message, 2))}\n`);
    }
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

// Registration order is the order `--help` lists them in: first-time setup, collection, analysis, Snowflake.
registerSetupCommand(program);
registerAuthCommands(program);
registerCollectCommands(program);
registerContinuousCommands(program);
registerImportCommands(program);
registerStatsCommand(program);
registerWarehouseCommands(program);
registerDemoCommand(program);
registerTestCommand(program);
registerSnowflakeCommands(program);
registerLakeCommands(program);
registerIamCommands(program);
registerStateCommands(program);

await program.parseAsync(process.argv);
