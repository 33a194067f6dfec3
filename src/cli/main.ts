/** The edgec command line: build, inspect, run, targets. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EdgecError } from '../util/errors.js';
import { buildCommand } from './build-command.js';
import { inspectCommand } from './inspect-command.js';
import { runCommand } from './run-command.js';
import { targetsCommand } from './targets-command.js';

/** Print an error for people: one line, the stack only with --debug. */
function report(e: unknown, debug: boolean): void {
  if (e instanceof EdgecError) process.stderr.write(`edgec: error: ${e.message}\n`);
  else process.stderr.write(`edgec: internal error: ${(e as Error)?.message ?? e}\n${debug ? '' : 'rerun with --debug for the stack trace\n'}`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
}

/** Run the CLI on argv; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let code = 0;
  try {
    await yargs(argv)
      .scriptName('edgec')
      .usage('$0 <command> [options]\n\nCompile trained neural networks into small, fast, verified C for edge hardware.')
      .command(buildCommand((c) => (code = c)))
      .command(inspectCommand)
      .command(runCommand)
      .command(targetsCommand)
      .option('debug', { type: 'boolean', describe: 'show stack traces for errors', global: true })
      .demandCommand(1, 'name a command: build, inspect, run or targets')
      .strict()
      .help()
      .alias('h', 'help')
      .version(false)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        throw err ?? new EdgecError(msg);
      })
      .parseAsync();
  } catch (e) {
    report(e, debug);
    return 1;
  }
  return code;
}
