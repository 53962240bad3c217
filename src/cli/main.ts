import { Command, CommanderError } from 'commander';
import { registerDlq } from './dlq.js';
import { registerIngest } from './ingest.js';
import { registerPreflight } from './preflight.js';
import { registerRun } from './run.js';
import { registerSearch } from './search.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status.js';
import { ExitCodes, reportError } from './context.js';

const program = new Command()
  .name('filesearch')
  .description('Turns files landing in object storage into a searchable index, through a durable queue.\n' +
    'With no AWS settings it runs embedded: a SQLite queue, local folders as buckets and a SQLite index under ./.filesearch.')
  .option('-c, --config <file>', 'JSON config file (keys are the environment variable names)')
  .option('--home <dir>', 'state directory for embedded mode (FILESEARCH_HOME, default ./.filesearch)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (LOG_LEVEL)')
  .showHelpAfterError()
  .exitOverride();

registerIngest(program);
registerRun(program);
registerPreflight(program);
registerSearch(program);
registerServe(program);
registerStatus(program);
registerDlq(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCodes.Ok : ExitCodes.Usage;
  } else {
    process.exitCode = reportError(err);
  }
}
