import { Command, CommanderError } from 'commander';
import { registerApiCommand } from './commands/api';
import { registerBenchCommands } from './commands/bench';
import { registerCaptionCommand } from './commands/caption';
import { registerDatasetCommands } from './commands/dataset';
import { registerDemoCommand } from './commands/demo';
import { registerEvalCommands } from './commands/eval';
import { registerExportCommand } from './commands/export';
import { registerQueuesCommand } from './commands/queues';
import { registerRunCommands } from './commands/run';
import { registerScoreCommand } from './commands/score';
import { registerWorkerCommand } from './commands/worker';
import { EXIT_USAGE, reportError } from './errors';
import { exitQuietlyWhenOutputCloses } from './output';

function buildProgram(): Command {
  const program = new Command('captioner')
    .description('Train, evaluate and serve image-captioning models (ResNet encoder + LSTM/GRU decoder)')
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride();
  // Every subcommand inherits: usage errors throw (exit 2) instead of exiting on their own.
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerDatasetCommands(program);
  registerRunCommands(program);
  registerWorkerCommand(program);
  registerQueuesCommand(program);
  registerEvalCommands(program);
  registerScoreCommand(program);
  registerCaptionCommand(program);
  registerExportCommand(program);
  registerDemoCommand(program);
  registerBenchCommands(program);
  registerApiCommand(program);
  const applyExitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(applyExitOverride);
  };
  applyExitOverride(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (unknown command/option, missing argument, --help).
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? 0
        : EXIT_USAGE;
    }
    return reportError(error);
  }
}

exitQuietlyWhenOutputCloses();
process.exitCode = await main(process.argv);
// Open handles (database pools, tfjs) must not keep a finished command alive.
setTimeout(() => process.exit(), 200).unref();
