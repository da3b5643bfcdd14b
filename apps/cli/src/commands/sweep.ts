import type { Command } from 'commander';
import { UsageError } from '@captioner/core';
import { getSweep, listSweepRuns, listSweeps } from '@captioner/db';
import { withContext } from '../context';
import { formatScore, printJson, printLine, printTable } from '../output';
import { positiveIntOption } from '../options';
import { readRunConfigInput } from '../services/run-config-input';

const collect = (value: string, previous: string[]) => [...previous, value];

async function operations() {
  const [pipeline, runs] = await Promise.all([import('@captioner/pipeline'), import('../services/runs')]);
  return { ...pipeline, ...runs };
}

export function registerSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('hyperparameter sweeps: one ordinary run per configuration');

  sweep
    .command('start')
    .description('create a sweep and start (or enqueue, with REDIS_URL) one run per configuration')
    .requiredOption('--dataset <name>', 'registered data set (name or id)')
    .requiredOption(
      '--grid <key=v1,v2>',
      'a run config key and its values, e.g. training.learningRate=1e-3,5e-4 (repeatable)',
      collect,
      [],
    )
    .option('--config <file>', 'base run config JSON')
    .option('--set <path=value>', 'override one base config value (repeatable)', collect, [])
    .option('--random <n>', 'run only n configurations of the grid, chosen by --seed', positiveIntOption)
    .option('--seed <s>', 'seed for --random', (v) => Number(v), 0)
    .option('--metric <name>', 'final-evaluation score runs are ranked by', 'CIDEr')
    .option('--prune <rule>', 'none | median', 'none')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        if (opts.prune !== 'none' && opts.prune !== 'median')
          throw new UsageError(`--prune: expected none or median, got ${opts.prune}`);
        const db = (await ctx.db()).client;
        const baseConfig = await readRunConfigInput(opts.config, opts.set);
        const { operationContext, startSweep, parseGridAxis } = await operations();
        const result = await startSweep(operationContext(ctx.config, db), {
          dataset: opts.dataset,
          baseConfig,
          axes: (opts.grid as string[]).map(parseGridAxis),
          random: opts.random ? { count: opts.random, seed: opts.seed } : undefined,
          metric: opts.metric,
          prune: opts.prune,
        });
        if (opts.json) printJson(result);
        else printLine(`sweep ${result.sweepId}: ${result.runIds.length} runs (${result.runIds.join(', ')})`);
      }),
    );

  sweep
    .command('list')
    .description('list sweeps, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const sweeps = await listSweeps(db);
        if (opts.json) return printJson(sweeps);
        printTable(
          ['id', 'status', 'metric', 'prune', 'created'],
          sweeps.map((s) => [s.id, s.status, s.metric, s.prune, s.createdAt.toISOString()]),
        );
      }),
    );

  sweep
    .command('show <id>')
    .description("the sweep's runs ranked by their final metric, with the swept settings")
    .option('--json', 'print as JSON')
    .action(async (id: string, opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const record = await getSweep(db, id);
        const { rankSweepRuns } = await import('@captioner/pipeline');
        const keys = ((record.spec as { axes?: { key: string }[] }).axes ?? []).map((a) => a.key);
        const ranked = rankSweepRuns(await listSweepRuns(db, id), record.metric, keys);
        if (opts.json) return printJson({ ...record, runs: ranked });
        printLine(`sweep ${record.id}: ${record.status}, ranked by ${record.metric}`);
        printTable(
          ['rank', 'run', 'status', record.metric, ...keys],
          ranked.map((r) => [
            r.rank === null ? '-' : String(r.rank),
            r.runId,
            r.prunedAtEpoch === null ? r.status : `pruned@${r.prunedAtEpoch}`,
            r.score === null ? '-' : formatScore(r.score),
            ...keys.map((k) => String(r.settings[k])),
          ]),
        );
      }),
    );

  sweep
    .command('cancel <id>')
    .description('cancel every unfinished run of the sweep')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const { operationContext, cancelSweep } = await operations();
        const { cancelled } = await cancelSweep(operationContext(ctx.config, db), id);
        printLine(`sweep ${id}: cancelled ${cancelled.length} runs`);
      }),
    );
}
