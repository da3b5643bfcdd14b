import { compareRunsView } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { formatScore, printJson, printLine, printTable } from '../output';

/** Curves the text output summarizes, in this order (others follow by name); ETA is not a result. */
const CURVES = ['train/loss', 'train/learning_rate'];

function shortValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * `captioner run compare A B [...]`: the runs side by side — status, best validation, final scores, the
 * last value of each curve — then the config keys whose resolved values differ. `--json`: the same view
 * as `GET /api/runs/compare?ids=A,B`.
 */
export async function compareRuns(db: DbClient, ids: string[], options: { json: boolean }): Promise<void> {
  const comparison = await compareRunsView(db, ids);
  if (options.json) {
    printJson(comparison);
    return;
  }
  const { runs, scoreNames, configDiff } = comparison;
  const curveNames = [...new Set(runs.flatMap((r) => Object.keys(r.curves)))]
    .filter((n) => n !== 'train/eta_seconds')
    .sort((a, b) => {
      const rank = (n: string) => (CURVES.includes(n) ? CURVES.indexOf(n) : n.startsWith('val/') ? 2 : 3);
      return rank(a) - rank(b) || a.localeCompare(b);
    });
  printTable(
    ['', ...runs.map((r) => r.id)],
    [
      ['name', ...runs.map((r) => r.name)],
      ['data set', ...runs.map((r) => r.dataset)],
      ['status', ...runs.map((r) => r.status)],
      [
        'best validation',
        ...runs.map((r) =>
          r.bestValidation
            ? `${r.bestValidation.metric} ${formatScore(r.bestValidation.score)} @${r.bestValidation.step}`
            : '-',
        ),
      ],
      ...scoreNames.map((name) => [name, ...runs.map((r) => formatScore(r.finalScores?.[name]))]),
      ...curveNames.map((name) => [
        `${name} (last)`,
        ...runs.map((r) => {
          const c = r.curves[name];
          return c ? `${Number(c.last.toPrecision(4))} @${c.lastStep} (${c.points} pts)` : '-';
        }),
      ]),
    ],
  );
  printLine();
  if (configDiff.length === 0) {
    printLine('config: identical');
    return;
  }
  printLine(`config: ${configDiff.length} key${configDiff.length === 1 ? '' : 's'} differ`);
  printTable(
    ['KEY', ...runs.map((r) => r.id)],
    configDiff.map((d) => [d.key, ...d.values.map(shortValue)]),
  );
}
