import type { Command } from 'commander';
import { ConfigError, UsageError } from '@captioner/core';
import { getRun, isFinishedRunStatus, runListView } from '@captioner/db';
import { withContext } from '../context';
import { formatScore, printJson, printLine, printTable } from '../output';
import { positiveIntOption } from '../options';
import { readRunConfigInput } from '../services/run-config-input';
import { RUN_PRESET_NAMES } from '@captioner/stage-contract';
import { showRun } from './run-show';
import { compareRuns } from './run-compare';

/**
 * The run operations (BullMQ, and every stage for the local executor), imported by the subcommands
 * that start, resume or cancel: `run list` and `run show` only read the database and start faster
 * without them (see main.ts).
 */
async function operations() {
  const [pipeline, runs] = await Promise.all([import('@captioner/pipeline'), import('../services/runs')]);
  return { ...pipeline, ...runs };
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerRunCommands(program: Command): void {
  const run = program.command('run').description('start, follow, resume and cancel training runs');

  run
    .command('start')
    .description(
      'create a run on a data set and execute it (in process, or on the queue when REDIS_URL is set)',
    )
    .requiredOption('--dataset <name>', 'registered data set (name or id)')
    .option('--config <file>', 'run config JSON (see README: preprocess, model, training, evaluation)')
    .option(
      '--preset <name>',
      `a named starting config under --config and --set (${RUN_PRESET_NAMES.join(', ')}; see README)`,
    )
    .option(
      '--set <path=value>',
      'override one config value, e.g. training.epochs=3 (repeatable)',
      collect,
      [],
    )
    .option('--name <name>', 'a label for the run')
    .option('--wait', 'with REDIS_URL: wait until the run ends')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (exit 1)', positiveIntOption)
    .option('--json', 'print the run as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const runConfig = await readRunConfigInput(opts.config, opts.set, opts.preset);
        const { operationContext, startRun, waitForRun, waitOptions } = await operations();
        const context = operationContext(ctx.config, db);
        const plan = await startRun(context, { dataset: opts.dataset, runConfig, name: opts.name }).catch(
          (error: unknown) => {
            // The schema names the field; with a config file, name the file too, so the user knows where to look.
            if (error instanceof ConfigError && opts.config)
              throw new ConfigError(`${opts.config}: ${error.message}`, { cause: error });
            throw error;
          },
        );
        if (ctx.config.redisUrl && opts.wait)
          await waitForRun(context, plan.runId, waitOptions(opts.timeout));
        const record = await getRun(db, plan.runId);
        if (opts.json)
          printJson({ id: record.id, status: record.status, executor: record.executor, shards: plan.shards });
        else
          printLine(
            `run ${record.id}: ${record.status}${record.executor === 'bullmq' && !opts.wait ? ' (enqueued; follow it with: captioner run show ' + record.id + ' --watch)' : ''}`,
          );
        if (record.status !== 'succeeded' && record.error && !opts.json)
          printLine(`  error: ${record.error}`);
        if (record.status === 'failed') process.exitCode = 1;
      }),
    );

  run
    .command('list')
    .description('list runs, newest first')
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        if (opts.json) {
          printJson(await runListView(db, opts.limit));
          return;
        }
        const runs = await runListView(db, opts.limit);
        printTable(
          ['ID', 'NAME', 'DATASET', 'STATUS', 'CREATED', 'STAGES', 'BLEU-4', 'CIDEr-D'],
          runs.map((r) => [
            r.id,
            r.name ?? '',
            r.dataset,
            r.status,
            r.createdAt.toISOString().slice(0, 19),
            Object.entries(r.stages)
              .map(([stage, s]) => `${stage}:${s.status}`)
              .join(' '),
            formatScore(r.finalScores?.Bleu_4),
            formatScore(r.finalScores?.CIDEr),
          ]),
        );
      }),
    );

  run
    .command('show <id>')
    .description('a run with its stages, checkpoints, metrics and evaluations')
    .option('--watch', 'refresh until the run ends')
    .option('--shards', 'one line per stage and shard (default: one line per stage)')
    .option('--json', 'print as JSON (every stage and shard)')
    .action(async (id: string, opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        if (!opts.watch) {
          await showRun(db, id, { json: Boolean(opts.json), shards: Boolean(opts.shards) });
          return;
        }
        for (;;) {
          if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
          await showRun(db, id, { json: Boolean(opts.json), shards: Boolean(opts.shards) });
          const status = (await getRun(db, id)).status;
          if (isFinishedRunStatus(status) || status === 'stopped') return;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }),
    );

  run
    .command('compare <ids...>')
    .description(
      'runs side by side: final scores, curves (last values), and where their resolved configs differ',
    )
    .option('--json', 'print as JSON (as GET /api/runs/compare)')
    .action(async (ids: string[], opts) =>
      withContext(async (ctx) => {
        if (ids.length < 2) throw new UsageError('run compare: name at least two runs');
        await compareRuns((await ctx.db()).client, ids, { json: Boolean(opts.json) });
      }),
    );

  run
    .command('resume <id>')
    .description('continue an unfinished run from what was saved')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const { operationContext, resumeRun } = await operations();
        await resumeRun(operationContext(ctx.config, db), id);
        const record = await getRun(db, id);
        if (opts.json) printJson({ id: record.id, status: record.status });
        else printLine(`run ${record.id}: ${record.status}`);
      }),
    );

  run
    .command('cancel <id>')
    .description("stop a run's pending and active jobs")
    .action(async (id: string) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const { operationContext, cancelRun } = await operations();
        const { removedJobs } = await cancelRun(operationContext(ctx.config, db), id);
        printLine(
          `run ${id}: cancelled${ctx.config.redisUrl ? ` (${removedJobs} queued jobs removed; active ones stop at their next safe point)` : ''}`,
        );
      }),
    );
}
