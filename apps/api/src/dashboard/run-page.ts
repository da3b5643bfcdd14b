import type { RunDetails, listRunLogs } from '@captioner/db';

type RunLogs = Awaited<ReturnType<typeof listRunLogs>>;
import { describeAugmentation } from '@captioner/stage-contract';
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
export function renderRunPage(run: RunDetails, logs: RunLogs = []): string {
  const header = `<p><a href="/">← all runs</a></p>
<h1>Run ${escapeHtml(run.id)}${run.name ? ` (${escapeHtml(run.name)})` : ''}: ${status(run.status)}</h1>
<p>data set ${escapeHtml(run.dataset.name)} · executor ${escapeHtml(run.executor)}${run.backend ? ` · backend ${escapeHtml(run.backend)}` : ''}
· created ${escapeHtml(run.createdAt)}${run.finishedAt ? ` · finished ${escapeHtml(run.finishedAt)}` : ''}</p>
<p class="augment">augmentation: ${escapeHtml(describeAugmentation(run.config))}</p>
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
  const logTable = logs.length
    ? table(
        ['Time', 'Level', 'Stage', 'Message'],
        logs.map((l) => [
          escapeHtml(l.createdAt),
          `<span class="log-${escapeHtml(l.level)}">${escapeHtml(l.level)}</span>`,
          escapeHtml(l.stage ? `${l.stage}${l.shard >= 0 ? ` ${l.shard}` : ''}` : ''),
          escapeHtml(l.message),
        ]),
      )
    : '<p>none yet</p>';
  const archived = Boolean(run.archivedAt);
  const actions = `<h2>Housekeeping</h2>
<form class="inline" method="post" action="/runs/${encodeURIComponent(run.id)}/archive"><input type="hidden" name="archived" value="${archived ? '0' : '1'}"><button type="submit">${archived ? 'unarchive' : 'archive'}</button></form>
<form class="inline" method="post" action="/runs/${encodeURIComponent(run.id)}/delete" data-confirm="Delete run ${escapeHtml(run.id)} and all its files?"><button type="submit" class="danger">delete with its artifacts</button></form>
${archived ? `<p class="muted">archived ${escapeHtml(run.archivedAt)}: hidden from the run list</p>` : ''}`;
  const curves = `<h2>Curves</h2>
<div id="curves" class="curves" data-runs="${escapeHtml(JSON.stringify([run.id]))}" data-labels="${escapeHtml(JSON.stringify([run.name ?? run.id]))}"></div>`;
  return page(
    `Captioner run ${run.id}`,
    `${header}\n${curves}\n<div id="live">\n<h2>Stages</h2>\n${stages}\n<h2>Checkpoints</h2>\n${checkpoints}\n<h2>Evaluations</h2>\n${evaluations}\n<h2>Log</h2>\n${logTable}\n</div>\n${actions}\n<p><a href="/compare?ids=${encodeURIComponent(run.id)}">compare with other runs</a> · <a href="/caption?run=${encodeURIComponent(run.id)}">caption an image with this run</a></p>`,
    CURVE_ASSETS,
  );
}
