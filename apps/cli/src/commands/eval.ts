import type { Command } from 'commander';
import { Option } from 'commander';
import { createLogger } from '@captioner/core';
import { createEvaluation, evaluationView, getEvaluation, getRun } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import {
  createProducerConnection,
  enqueueEvaluation,
  evaluatePayloadSchema,
  runEvaluationLocally,
} from '@captioner/pipeline';
import { newId } from '@captioner/db';
import { createStageHandlers } from '@captioner/worker';
import { withContext } from '../context';
import { formatScore, printJson, printLine, printTable } from '../output';
import { positiveIntOption, intOption } from '../options';
import { ProgressView } from '../progress';

const SCORE_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr'] as const;

export function registerEvalCommands(program: Command): void {
  const evaluation = program
    .command('eval')
    .description('evaluate a checkpoint of a run (eval RUN), or show an evaluation (eval show ID)')
    .argument('[run]', 'run id')
    .option('--checkpoint <which>', 'best, last, or a checkpoint id', 'best')
    .addOption(new Option('--split <split>', 'which split').choices(['val', 'test']).default('test'))
    .option('--beam <k>', 'beam size (1 = greedy)', positiveIntOption, 3)
    .option('--max-images <n>', 'score at most this many images (0 = all)', intOption, 0)
    .option('--wait', 'with REDIS_URL: wait for the result')
    .option('--json', 'print as JSON')
    .action(async (runId: string | undefined, opts) => {
      if (!runId) {
        evaluation.help({ error: true });
        return;
      }
      await withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        await getRun(db, runId);
        const id = newId('eval');
        const payload = evaluatePayloadSchema.parse({
          runId,
          evaluationId: id,
          checkpoint: opts.checkpoint,
          split: opts.split,
          beamSize: opts.beam,
          maxImages: opts.maxImages,
        });
        await createEvaluation(db, {
          id,
          runId,
          checkpointId: null,
          split: payload.split,
          settings: {
            checkpoint: payload.checkpoint,
            beamSize: payload.beamSize,
            maxImages: payload.maxImages,
          },
        });
        if (ctx.config.redisUrl) {
          const connection = await createProducerConnection(ctx.config.redisUrl);
          try {
            await enqueueEvaluation(connection, ctx.config.queuePrefix, payload);
          } finally {
            connection.disconnect();
          }
          if (!opts.wait) {
            if (opts.json) printJson({ id, status: 'queued' });
            else printLine(`evaluation ${id} enqueued; see it with: captioner eval show ${id}`);
            return;
          }
          await waitForEvaluation(db, id);
        } else {
          const view = new ProgressView();
          try {
            await runEvaluationLocally(payload, {
              config: ctx.config,
              db,
              logger: createLogger('eval', 'warn'),
              handlers: createStageHandlers(),
              workerId: `local-${process.pid}`,
              signal: new AbortController().signal,
              onProgress: (_stage, _key, update) => view.update('evaluate', update),
            });
          } finally {
            view.stop();
          }
        }
        await showEvaluation(db, id, Boolean(opts.json));
      });
    });

  evaluation
    .command('show <id>')
    .description('scores of an evaluation with its best and worst samples')
    .option('--samples <n>', 'how many best and worst samples', positiveIntOption, 5)
    .option('--json', 'print as JSON')
    // `eval` has its own --json, which commander gives the parent: read both levels.
    .action(async (id: string, _opts, command: Command) => {
      const opts = command.optsWithGlobals<{ json?: boolean; samples: number }>();
      return withContext(async (ctx) =>
        showEvaluation((await ctx.db()).client, id, Boolean(opts.json), opts.samples),
      );
    });
}

async function waitForEvaluation(db: DbClient, id: string): Promise<void> {
  for (;;) {
    const evaluation = await getEvaluation(db, id);
    if (evaluation.status === 'succeeded' || evaluation.status === 'failed') return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function showEvaluation(db: DbClient, id: string, json: boolean, samples = 5): Promise<void> {
  const view = await evaluationView(db, id, samples);
  if (json) {
    printJson(view);
    return;
  }
  printLine(`evaluation ${view.id} of run ${view.runId}: ${view.status}`);
  printLine(
    `  split ${view.split}, ${view.imageCount} images, checkpoint ${view.checkpoint ? `${view.checkpoint.id} (step ${view.checkpoint.step})` : '-'}`,
  );
  if (view.error) printLine(`  error: ${view.error}`);
  const { scores } = view;
  if (scores) {
    printLine();
    printTable([...SCORE_KEYS], [SCORE_KEYS.map((k) => formatScore(scores[k]))]);
  }
  for (const [title, rows] of [
    ['best', view.best],
    ['worst', view.worst],
  ] as const) {
    if (!rows.length) continue;
    printLine();
    printLine(`${title} samples (by CIDEr-D):`);
    for (const s of rows) {
      printLine(`  ${s.imageId}  CIDEr-D ${formatScore(s.CIDEr)}  BLEU-4 ${formatScore(s.Bleu_4)}`);
      printLine(`    generated: ${s.candidate}`);
      printLine(`    reference: ${s.references[0] ?? ''}`);
    }
  }
}
