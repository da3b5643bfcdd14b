import type { Command } from 'commander';
import { Option } from 'commander';
import { evaluationView, getEvaluation } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { requestEvaluation, waitForEvaluation } from '@captioner/pipeline';
import { withContext } from '../context';
import { formatScore, printJson, printLine, printTable } from '../output';
import { GROUNDING_HEADERS, groundingCells } from '../grounding';
import { DIVERSITY_HEADERS, diversityCells } from '../diversity';
import { decodingOptions, withDecodingOptions, positiveIntOption, intOption } from '../options';
import { operationContext, waitOptions } from '../services/runs';

const SCORE_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr'] as const;

export function registerEvalCommands(program: Command): void {
  const evaluation = withDecodingOptions(
    program
      .command('eval')
      .description('evaluate a checkpoint of a run (eval RUN), or show an evaluation (eval show ID)')
      .argument('[run]', 'run id')
      .option('--checkpoint <which>', 'best, last, or a checkpoint id', 'best')
      .addOption(new Option('--split <split>', 'which split').choices(['val', 'test']).default('test'))
      .option('--beam <k>', 'beam size (1 = greedy)', positiveIntOption, 3),
  )
    .option('--max-images <n>', 'score at most this many images (0 = all)', intOption, 0)
    .option('--wait', 'with REDIS_URL: wait for the result (exit 1 if the evaluation fails)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (exit 1)', positiveIntOption)
    .option('--json', 'print as JSON')
    .action(async (runId: string | undefined, opts) => {
      if (!runId) {
        evaluation.help({ error: true });
        return;
      }
      await withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const operations = operationContext(ctx.config, db);
        const payload = await requestEvaluation(operations, {
          runId,
          checkpoint: opts.checkpoint,
          split: opts.split,
          beamSize: opts.beam,
          ...decodingOptions(opts),
          maxImages: opts.maxImages,
        });
        const id = payload.evaluationId;
        if (ctx.config.redisUrl) {
          if (!opts.wait) {
            if (opts.json) printJson({ id, status: 'queued' });
            else printLine(`evaluation ${id} enqueued; see it with: captioner eval show ${id}`);
            return;
          }
          await waitForEvaluation(operations, id, waitOptions(opts.timeout));
        }
        await showEvaluation(db, id, Boolean(opts.json));
        if ((await getEvaluation(db, id)).status === 'failed') process.exitCode = 1;
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
  const settings = view.settings;
  if (typeof settings.beamSize === 'number') {
    // Evaluations stored before the other controls existed decoded with their defaults.
    const maxLength = typeof settings.maxLength === 'number' ? settings.maxLength : "decoder's";
    printLine(
      `  decoding: beam ${settings.beamSize}, length penalty ${Number(settings.lengthPenalty ?? 0)}, ` +
        `no repeated ${Number(settings.noRepeatNgramSize ?? 0) || '-'}-grams, max length ${maxLength}`,
    );
  }
  if (view.error) printLine(`  error: ${view.error}`);
  const { scores } = view;
  if (scores) {
    printLine();
    printTable([...SCORE_KEYS], [SCORE_KEYS.map((k) => formatScore(scores[k]))]);
  }
  if (view.diversity) {
    printLine();
    printLine('diversity (unique captions, distinct n-grams, captions not in the training set):');
    printTable(DIVERSITY_HEADERS, [diversityCells(view.diversity)]);
  }
  if (view.grounding) {
    printLine();
    printLine('grounding (captions checked against the scenes; rules in packages/dataset/README.md):');
    printTable(GROUNDING_HEADERS, [groundingCells(view.grounding)]);
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
