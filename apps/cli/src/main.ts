import { Command, CommanderError } from 'commander';
import { exitQuietlyWhenOutputCloses } from './quiet-exit';

type Register = (program: Command) => void;

/**
 * Each top-level command and the module that registers it, in help order. Modules are imported only
 * for the command being run (all of them for help or an unknown command): a command module imports
 * what its actions need (tfjs, Prisma, BullMQ, fastify, sharp), and `captioner --version` or
 * `captioner run list` must not pay for the others (about 2 s of CPU when everything loads).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  dataset: async () => (await import('./commands/dataset')).registerDatasetCommands,
  run: async () => (await import('./commands/run')).registerRunCommands,
  sweep: async () => (await import('./commands/sweep')).registerSweepCommands,
  worker: async () => (await import('./commands/worker')).registerWorkerCommand,
  queues: async () => (await import('./commands/queues')).registerQueuesCommand,
  eval: async () => (await import('./commands/eval')).registerEvalCommands,
  score: async () => (await import('./commands/score')).registerScoreCommand,
  caption: async () => (await import('./commands/caption')).registerCaptionCommand,
  export: async () => (await import('./commands/export')).registerExportCommand,
  encoder: async () => (await import('./commands/encoder')).registerEncoderCommands,
  demo: async () => (await import('./commands/demo')).registerDemoCommand,
  bench: async () => (await import('./commands/bench')).registerBenchCommands,
  api: async () => (await import('./commands/api')).registerApiCommand,
  doctor: async () => (await import('./commands/doctor')).registerDoctorCommand,
};

/** The command modules `argv` needs: its command's, none for `--version`, every one otherwise. */
async function commandModules(argv: string[]): Promise<Register[]> {
  const first = argv[2];
  if (first === '--version' || first === '-V') return [];
  const loaders =
    first !== undefined && Object.hasOwn(COMMANDS, first) ? [COMMANDS[first]] : Object.values(COMMANDS);
  return Promise.all(loaders.map((load) => load()));
}

async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('captioner')
    .description('Train, evaluate and serve image-captioning models (ResNet encoder + LSTM/GRU decoder)')
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride();
  // Every subcommand inherits: usage errors throw (exit 2) instead of exiting on their own.
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  for (const register of await commandModules(argv)) register(program);
  const applyExitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(applyExitOverride);
  };
  applyExitOverride(program);
  return program;
}

/**
 * The exit codes and error reporting, loaded when needed: errors.ts imports @captioner/core (zod, pino),
 * which esbuild's bundle shares a chunk with the database client, too much for `--version`.
 */
const errors = () => import('./errors');

async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  if (argv.length <= 2) {
    program.outputHelp();
    return (await errors()).EXIT_USAGE;
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
        : (await errors()).EXIT_USAGE;
    }
    return (await errors()).reportError(error);
  }
}

exitQuietlyWhenOutputCloses();
process.exitCode = await main(process.argv);
// Open handles (database pools, tfjs) must not keep a finished command alive.
setTimeout(() => process.exit(), 200).unref();
