import { STAGE_KINDS, runDetailsView, summarizeStages } from '@captioner/db';
import type { DbClient, RunDetails } from '@captioner/db';
import { describeAugmentation } from '@captioner/stage-contract';
import { formatScore, printJson, printLine, printTable } from '../output';

type StageRow = RunDetails['stages'][number];

/**
 * Prints `captioner run show`: the run, one line per stage (all shards of a stage folded into one),
 * or one line per stage and shard with `shards`; checkpoints, last metrics, evaluations.
 * `json` prints everything, every shard included.
 */
export async function showRun(
  db: DbClient,
  id: string,
  options: { json: boolean; shards: boolean },
): Promise<void> {
  const run = await runDetailsView(db, id);
  if (options.json) {
    printJson(run);
    return;
  }
  const { evaluations } = run;
  printLine(`run ${run.id}${run.name ? ` (${run.name})` : ''}: ${run.status}`);
  printLine(`  data set  ${run.dataset.name} (${run.dataset.id})`);
  printLine(`  executor  ${run.executor}${run.backend ? `, backend ${run.backend}` : ''}`);
  printLine(
    `  created   ${run.createdAt.toISOString()}${run.finishedAt ? `, finished ${run.finishedAt.toISOString()}` : ''}`,
  );
  const training = trainingLine(run.config);
  if (training) printLine(`  training  ${training}`);
  printLine(`  augment   ${describeAugmentation(run.config)}`);
  if (run.error) printLine(`  error     ${run.error}`);
  printLine();
  if (options.shards) printShardTable(run.stages);
  else printStageTable(run.stages);
  if (run.checkpoints.length) {
    printLine();
    printTable(
      ['CHECKPOINT', 'STEP', 'EPOCH', 'KIND', 'VAL', 'BEST', 'ON DISK'],
      run.checkpoints.map((c) => [
        c.id,
        c.step,
        c.epoch,
        c.kind,
        c.valScore === null ? '-' : `${c.valMetric} ${formatScore(c.valScore)}`,
        c.isBest ? 'yes' : '',
        c.onDisk ? 'yes' : 'pruned',
      ]),
    );
  }
  const byName = new Map<string, { step: number; value: number }>();
  for (const m of run.metrics) byName.set(m.name, { step: m.step, value: m.value });
  if (byName.size) {
    printLine();
    printTable(
      ['METRIC', 'LAST STEP', 'LAST VALUE'],
      [...byName.entries()].map(([name, m]) => [name, m.step, formatScore(m.value)]),
    );
  }
  if (evaluations.length) {
    printLine();
    printTable(
      ['EVALUATION', 'SPLIT', 'STATUS', 'IMAGES', 'BLEU-4', 'CIDEr-D', 'ROUGE-L'],
      evaluations.map((e) => [
        e.id,
        e.split,
        e.status,
        e.imageCount,
        formatScore(e.scores?.Bleu_4),
        formatScore(e.scores?.CIDEr),
        formatScore(e.scores?.ROUGE_L),
      ]),
    );
  }
}

/**
 * The batch size a run trains with: the configured one, or with `auto` what the train stage chose
 * (`training.autoBatch`, written when it probed) or `auto` until then. Read defensively: the stored config
 * of an older run may lack the section.
 */
function trainingLine(config: unknown): string | null {
  const training = (config as { training?: Record<string, unknown> } | null)?.training;
  if (!training || training.batchSize === undefined) return null;
  if (training.batchSize !== 'auto') return `batch size ${String(training.batchSize)}`;
  const chosen = training.autoBatch as
    | { batchSize: number; peakMB: number; budgetMB: number; backend: string }
    | undefined;
  if (!chosen) return 'batch size auto (not probed yet)';
  return `batch size ${chosen.batchSize} (auto: peak ${chosen.peakMB} MB of a ${chosen.budgetMB} MB budget on ${chosen.backend})`;
}

/**
 * One line per stage: its overall status, shards done of all, mean progress, the most attempts any
 * shard took, and the message worth reading first (a failed shard's error, else a running shard's).
 */
function printStageTable(stages: StageRow[]): void {
  const summary = summarizeStages(stages);
  printTable(
    ['STAGE', 'STATUS', 'SHARDS', 'PROGRESS', 'ATTEMPTS', 'MESSAGE'],
    STAGE_KINDS.filter((kind) => summary[kind]).map((kind) => {
      const rows = stages.filter((s) => s.stage === kind);
      const sharded = rows.some((s) => s.shard >= 0);
      const progress = rows.reduce((sum, s) => sum + s.progress, 0) / rows.length;
      return [
        kind,
        summary[kind].status,
        sharded ? `${summary[kind].done}/${summary[kind].total}` : '-',
        `${Math.round(progress * 100)}%`,
        Math.max(...rows.map((s) => s.attempts)),
        headline(rows),
      ];
    }),
  );
}

function headline(rows: StageRow[]): string | null {
  const prefix = (s: StageRow) => (s.shard >= 0 ? `shard ${s.shard}: ` : '');
  const failed = rows.find((s) => s.status === 'failed' && s.error);
  if (failed) return `${prefix(failed)}${failed.error}`;
  const running = rows.find((s) => s.status === 'running' && s.message);
  if (running) return `${prefix(running)}${running.message}`;
  return rows.length === 1 ? (rows[0].error ?? rows[0].message) : null;
}

function printShardTable(stages: StageRow[]): void {
  printTable(
    ['STAGE', 'SHARD', 'STATUS', 'PROGRESS', 'ATTEMPTS', 'MESSAGE'],
    stages.map((s) => [
      s.stage,
      s.shard >= 0 ? s.shard : '-',
      s.status,
      `${Math.round(s.progress * 100)}%`,
      s.attempts,
      s.error ?? s.message,
    ]),
  );
}
