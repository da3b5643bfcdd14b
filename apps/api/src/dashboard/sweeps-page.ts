import type { SweepListEntry, getSweep } from '@captioner/db';
import type { RankedRun } from '@captioner/pipeline';
import { escapeHtml, formatScore, page, status, table } from './html';

type Sweep = Awaited<ReturnType<typeof getSweep>>;

/** What `sweep.spec` holds (see `startSweep`): the base config, the grid axes and the random subset. */
interface SweepSpec {
  axes?: { key: string; values: unknown[] }[];
  random?: { count: number; seed: number };
}

/** A swept value as `key=value` shows it: strings bare, anything else as JSON (absent: –). */
function settingValue(value: unknown): string {
  if (value === undefined) return '–';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `GET /sweeps`: every sweep (newest first) with its data set, status, metric, pruning and run count. */
export function renderSweepsPage(sweeps: SweepListEntry[]): string {
  const rows = sweeps.map((s) => [
    `<a href="/sweeps/${encodeURIComponent(s.id)}">${escapeHtml(s.id)}</a>`,
    escapeHtml(s.dataset),
    status(s.status),
    escapeHtml(s.metric),
    escapeHtml(s.prune),
    escapeHtml(s.runCount),
    escapeHtml(s.createdAt),
  ]);
  const body = sweeps.length
    ? table(['Sweep', 'Data set', 'Status', 'Metric', 'Prune', 'Runs', 'Created'], rows)
    : '<p>No sweeps yet. Start one with <code>captioner sweep start --dataset D --grid key=v1,v2</code>.</p>';
  return page('Captioner sweeps', `<h1>Sweeps</h1>\n${body}`);
}

/** `GET /sweeps/:id`: the sweep's settings and its runs as `rankSweepRuns` ranks them, best first. */
export function renderSweepPage(sweep: Sweep, runs: RankedRun[]): string {
  const spec = sweep.spec as SweepSpec;
  const axes = (spec.axes ?? []).map(
    (a) => `<li><code>${escapeHtml(a.key)}</code>: ${escapeHtml(a.values.map(settingValue).join(', '))}</li>`,
  );
  const random = spec.random
    ? `<p>random subset: ${escapeHtml(spec.random.count)} configurations of the grid (seed ${escapeHtml(spec.random.seed)})</p>`
    : '';
  const header = `<p><a href="/sweeps">← all sweeps</a></p>
<h1>Sweep ${escapeHtml(sweep.id)}: ${status(sweep.status)}</h1>
<p>ranked by ${escapeHtml(sweep.metric)} · prune ${escapeHtml(sweep.prune)} · created ${escapeHtml(sweep.createdAt)}</p>
<h2>Grid</h2>
${axes.length ? `<ul>${axes.join('')}</ul>` : '<p>no axes</p>'}
${random}`;
  const rows = runs.map((r) => [
    r.rank === null ? '–' : escapeHtml(r.rank),
    `<a href="/runs/${encodeURIComponent(r.runId)}">${escapeHtml(r.runId)}</a>`,
    `${status(r.status)}${r.prunedAtEpoch === null ? '' : ` <span class="muted">pruned at epoch ${escapeHtml(r.prunedAtEpoch)}</span>`}`,
    Object.entries(r.settings)
      .map(([key, value]) => `<code>${escapeHtml(key)}=${escapeHtml(settingValue(value))}</code>`)
      .join('<br>'),
    escapeHtml(formatScore(r.score)),
  ]);
  const body = runs.length
    ? table(['Rank', 'Run', 'Status', 'Settings', sweep.metric], rows)
    : '<p>no runs</p>';
  return page(`Captioner sweep ${sweep.id}`, `${header}\n<h2>Runs</h2>\n${body}`);
}
