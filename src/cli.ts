import { Command } from 'commander';
import { registerCollectCommands } from './commands/collect-commands.js';
import { registerImportCommands } from './commands/import-commands.js';
import { registerTestCommand } from './commands/test-command.js';

// Each register function only declares its command; the work (and heavy modules such as the AWS SDK
// or DuckDB) is imported when the command runs, so `--help` stays fast.
const program = new Command()
  .name('spotify-pipeline')
  .description(
    'Keep your complete Spotify listening history in your own data lake (local folder or S3) and warehouse.',
  )
  .version('0.1.0')
  .option('--state-dir <dir>', 'state folder (overrides STATE_DIR)')
  .option('--data-dir <dir>', 'local lake folder (overrides DATA_DIR)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (overrides LOG_LEVEL)')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerCollectCommands(program);
registerImportCommands(program);
registerTestCommand(program);

program.exitOverride((err) => {
  // Usage errors exit 2 (CONTRACT); help and version exit 0.
  process.exit(err.exitCode === 0 ? 0 : 2);
});

await program.parseAsync(process.argv);
