import type { RunDetails } from '@captioner/db';
import { escapeHtml, formatScore, page, status, table } from './html';

/** uPlot and the curves script: the run and comparison pages. */
export const CURVE_ASSETS = {
  scripts: ['/assets/uPlot.iife.min.js', '/assets/curves.js'],
  styles: ['/assets/uPlot.min.css'],
};

function progressBar(progress: number): string {
  const value = Math.min(1, Math.max(0, progress));
  return `<progress value="${value}" max="1"></progress> ${Math.round(value * 100)}%`;
}

/** `GET /runs/:id`: stages with progress bars, checkpoints and evaluations of one run. */
export function renderRunPage(run: RunDetails): string {
  const header = `<p><a href="/">← all runs</a></p>
<h1>Run ${escapeHtml(run.id)}${run.name ? ` (${escapeHtml(run.name)})` : ''}: ${status(run.status)}</h1>
<p>data set ${escapeHtml(run.dataset.name)} · executor ${escapeHtml(run.executor)}${run.backend ? ` · backend ${escapeHtml(run.backend)}` : ''}
· created ${escapeHtml(run.createdAt)}${run.finishedAt ? ` · finished ${escapeHtml(run.finishedAt)}` : ''}</p>
${run.error ? `<p class="failed">${escapeHtml(run.error)}</p>` : ''}`;
  const stages = table(
    ['Stage', 'Shard', 'Status', 'Progress', 'Attempts', 'Message'],
    run.stages.map((s) => [
      escapeHtml(s.stage),
      s.shard >= 0 ? escapeHtml(s.shard) : '–',
      status(s.status),
      progressBar(s.progress),
      escapeHtml(s.attempts),
      escapeHtml(s.error ?? s.message),
    ]),
  );
  const checkpoints = run.checkpoints.length
    ? table(
        ['Checkpoint', 'Step', 'Epoch', 'Kind', 'Validation', 'Best', 'On disk'],
        run.checkpoints.map((c) => [
          escapeHtml(c.id),
          escapeHtml(c.step),
          escapeHtml(c.epoch),
          escapeHtml(c.kind),
          c.valScore === null ? '–' : `${escapeHtml(c.valMetric)} ${escapeHtml(formatScore(c.valScore))}`,
          c.isBest ? 'yes' : '',
          c.onDisk ? 'yes' : 'pruned',
        ]),
      )
    : '<p>none yet</p>';
  const evaluations = run.evaluations.length
    ? table(
        ['Evaluation', 'Split', 'Status', 'Images', 'BLEU-4', 'CIDEr-D', 'ROUGE-L'],
        run.evaluations.map((e) => [
          `<a href="/evaluations/${encodeURIComponent(e.id)}">${escapeHtml(e.id)}</a> <a class="muted" href="/api/evaluations/${encodeURIComponent(e.id)}">json</a>`,
          escapeHtml(e.split),
          status(e.status),
          escapeHtml(e.imageCount),
          escapeHtml(formatScore(e.scores?.Bleu_4)),
          escapeHtml(formatScore(e.scores?.CIDEr)),
          escapeHtml(formatScore(e.scores?.ROUGE_L)),
        ]),
      )
    : '<p>none yet</p>';
  const curves = `<h2>Curves</h2>
<div id="curves" class="curves" data-runs="${escapeHtml(JSON.stringify([run.id]))}" data-labels="${escapeHtml(JSON.stringify([run.name ?? run.id]))}"></div>`;
  return page(
    `Captioner run ${run.id}`,
    `${header}\n${curves}\n<div id="live">\n<h2>Stages</h2>\n${stages}\n<h2>Checkpoints</h2>\n${checkpoints}\n<h2>Evaluations</h2>\n${evaluations}\n</div>\n<p><a href="/compare?ids=${encodeURIComponent(run.id)}">compare with other runs</a></p>`,
    CURVE_ASSETS,
  );
}
