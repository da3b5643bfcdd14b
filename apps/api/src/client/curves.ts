/**
 * Browser script of the run and comparison pages: draws each metric of the runs in `#curves[data-runs]`
 * with uPlot (served from node_modules as /assets/uPlot.iife.min.js), one chart per metric name, one series
 * per run, steps on x. It polls `/api/runs/:id/metrics?after=<last row id>` every 5 s while a run is not
 * finished, so only new rows travel; the `#live` block of the page (stage progress) is refreshed with it.
 */
import type uPlotType from 'uplot';

declare const uPlot: typeof uPlotType;

interface MetricPoint {
  id: number;
  name: string;
  step: number;
  value: number;
}
interface MetricsAnswer {
  status: string;
  lastId: number;
  metrics: MetricPoint[];
}
interface RunState {
  id: string;
  lastId: number;
  finished: boolean;
  /** metric name → step → value */
  series: Map<string, Map<number, number>>;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'stopped']);
const COLORS = ['#1d4ed8', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
const POLL_MS = 5000;
/** Shown first, in this order; other names follow alphabetically. ETA is a figure, not a curve. */
const FIRST = ['train/loss', 'train/learning_rate'];
const HIDDEN = new Set(['train/eta_seconds']);

function metricOrder(a: string, b: string): number {
  const rank = (n: string) => (FIRST.includes(n) ? FIRST.indexOf(n) : n.startsWith('val/') ? 2 : 3);
  return rank(a) - rank(b) || a.localeCompare(b);
}

async function poll(run: RunState): Promise<boolean> {
  const response = await fetch(`/api/runs/${encodeURIComponent(run.id)}/metrics?after=${run.lastId}`, {
    credentials: 'same-origin',
  });
  if (!response.ok) throw new Error(`metrics of ${run.id}: HTTP ${response.status}`);
  const answer = (await response.json()) as MetricsAnswer;
  for (const m of answer.metrics) {
    if (HIDDEN.has(m.name)) continue;
    let byStep = run.series.get(m.name);
    if (!byStep) run.series.set(m.name, (byStep = new Map()));
    byStep.set(m.step, m.value);
  }
  run.lastId = answer.lastId;
  run.finished = FINISHED.has(answer.status);
  return answer.metrics.length > 0;
}

/** uPlot's aligned data: the union of steps on x, one column per run (null where a run has no point). */
function alignedData(runs: RunState[], name: string): uPlotType.AlignedData {
  const steps = [...new Set(runs.flatMap((r) => [...(r.series.get(name)?.keys() ?? [])]))].sort(
    (a, b) => a - b,
  );
  return [steps, ...runs.map((r) => steps.map((s) => r.series.get(name)?.get(s) ?? null))];
}

function chartWidth(box: HTMLElement): number {
  return Math.max(260, Math.floor(box.clientWidth || 400));
}

function main(): void {
  const root = document.getElementById('curves');
  if (!root) return;
  const ids = JSON.parse(root.dataset.runs ?? '[]') as string[];
  const labels = JSON.parse(root.dataset.labels ?? '[]') as string[];
  const runs: RunState[] = ids.map((id) => ({ id, lastId: 0, finished: false, series: new Map() }));
  const charts = new Map<string, { plot: uPlotType; box: HTMLElement }>();

  const draw = () => {
    const names = [...new Set(runs.flatMap((r) => [...r.series.keys()]))].sort(metricOrder);
    root.querySelector('.empty')?.remove();
    if (names.length === 0 && !root.querySelector('.empty'))
      root.insertAdjacentHTML('beforeend', '<p class="empty muted">No metrics logged yet.</p>');
    for (const name of names) {
      const data = alignedData(runs, name);
      const points = runs.reduce((n, r) => n + (r.series.get(name)?.size ?? 0), 0);
      let chart = charts.get(name);
      if (!chart) {
        const box = document.createElement('div');
        box.className = 'curve';
        box.dataset.metric = name;
        const title = document.createElement('h3');
        title.textContent = name;
        box.append(title);
        root.append(box);
        const plot = new uPlot(
          {
            width: chartWidth(box),
            height: 220,
            scales: { x: { time: false } },
            axes: [
              { label: 'step' },
              // Learning rates are small numbers: enough significant digits to tell the steps apart.
              {
                size: 60,
                values: (_u, values) =>
                  values.map((v) => (v === null ? '' : Number(v.toPrecision(3)).toString())),
              },
            ],
            series: [
              { label: 'step' },
              ...runs.map((r, i) => ({
                label: labels[i] ?? r.id,
                stroke: COLORS[i % COLORS.length],
                width: 2,
                spanGaps: true,
                points: { show: (data[0] as number[]).length < 60 },
              })),
            ],
          },
          data,
          box,
        );
        charts.set(name, (chart = { plot, box }));
      } else {
        chart.plot.setData(data);
      }
      chart.box.dataset.points = String(points);
    }
    root.dataset.ready = '1';
  };

  const refreshLive = async () => {
    const live = document.getElementById('live');
    if (!live) return;
    const html = await (await fetch(location.href, { credentials: 'same-origin' })).text();
    const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('live');
    if (fresh) live.innerHTML = fresh.innerHTML;
  };

  const tick = async () => {
    try {
      const changed = await Promise.all(runs.filter((r) => !r.finished || r.lastId === 0).map(poll));
      if (changed.some(Boolean) || charts.size === 0) draw();
      if (runs.some((r) => !r.finished)) await refreshLive();
    } catch (error) {
      root.dataset.error = String(error);
    }
    if (runs.some((r) => !r.finished)) setTimeout(() => void tick(), POLL_MS);
  };

  window.addEventListener('resize', () => {
    for (const { plot, box } of charts.values()) plot.setSize({ width: chartWidth(box), height: 220 });
  });
  void tick();
}

/** Forms with `data-confirm` (deleting a run) ask first; the run page is where they are. */
document.addEventListener('submit', (event) => {
  const form = event.target as HTMLFormElement;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

main();
