import type { RunComparison, RunListEntry } from '@captioner/db';
import { escapeHtml, formatScore, page, status, table } from './html';
import { CURVE_ASSETS } from './run-page';

function configValue(value: unknown): string {
  return value === null || value === undefined ? '–' : `<code>${escapeHtml(JSON.stringify(value))}</code>`;
}

/** The run picker: checkboxes over the recent runs, submitted as `?ids=A&ids=B` (plain GET form). */
function picker(runs: RunListEntry[], chosen: string[]): string {
  const boxes = runs.map(
    (r) =>
      `<label style="display:inline-block;margin-right:1rem"><input type="checkbox" name="ids" value="${escapeHtml(r.id)}"${chosen.includes(r.id) ? ' checked' : ''}> ${escapeHtml(r.name ?? r.id)} <span class="muted">${escapeHtml(r.id)}</span></label>`,
  );
  return `<form method="get" action="/compare"><div>${boxes.join('')}</div><button type="submit">compare</button></form>`;
}

/**
 * `GET /compare?ids=A&ids=B`: the runs' curves overlaid (one chart per metric, one colour per run), their
 * final scores side by side and the config keys where they differ.
 */
export function renderComparePage(recent: RunListEntry[], comparison: RunComparison | null): string {
  const chosen = comparison?.runs.map((r) => r.id) ?? [];
  if (!comparison)
    return page('Compare runs', `<h1>Compare runs</h1>\n${picker(recent, chosen)}`, { refresh: false });
  const { runs, scoreNames, configDiff } = comparison;
  const label = (r: (typeof runs)[number]) => r.name ?? r.id;
  const head = ['', ...runs.map((r) => `${label(r)}`)];
  const scores = table(head, [
    ['status', ...runs.map((r) => status(r.status))],
    ['data set', ...runs.map((r) => escapeHtml(r.dataset))],
    [
      'best validation',
      ...runs.map((r) =>
        r.bestValidation
          ? `${escapeHtml(r.bestValidation.metric)} ${formatScore(r.bestValidation.score)} @ ${r.bestValidation.step}`
          : '–',
      ),
    ],
    ...scoreNames.map((name) => [escapeHtml(name), ...runs.map((r) => formatScore(r.finalScores?.[name]))]),
  ]);
  const diff = configDiff.length
    ? table(
        ['config key', ...runs.map(label)],
        configDiff.map((d) => [`<code>${escapeHtml(d.key)}</code>`, ...d.values.map(configValue)]),
      )
    : '<p>The resolved configs are identical.</p>';
  return page(
    'Compare runs',
    `<h1>Compare ${runs.length} runs</h1>
<p>${runs.map((r) => `<a href="/runs/${encodeURIComponent(r.id)}">${escapeHtml(label(r))}</a>`).join(' · ')}</p>
<h2>Curves</h2>
<div id="curves" class="curves" data-runs="${escapeHtml(JSON.stringify(runs.map((r) => r.id)))}" data-labels="${escapeHtml(JSON.stringify(runs.map(label)))}"></div>
<h2>Final scores</h2>\n${scores}
<h2>Config differences</h2>\n${diff}
<details><summary>pick other runs</summary>${picker(recent, chosen)}</details>`,
    CURVE_ASSETS,
  );
}
