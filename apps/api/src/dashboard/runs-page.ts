import type { RunListEntry } from '@captioner/db';
import type { QueueStatus } from '@captioner/pipeline';
import { escapeHtml, formatScore, page, status, table } from './html';

/** The stage queues as the runs page shows them. */
export type QueuesPanel =
  | { kind: 'disabled' }
  | { kind: 'ok'; queues: QueueStatus[] }
  | { kind: 'error'; message: string };

function renderQueues(panel: QueuesPanel): string {
  if (panel.kind === 'disabled') return '';
  if (panel.kind === 'error')
    return `<h2>Queues</h2>\n<p>${status('failed')} ${escapeHtml(panel.message)}</p>`;
  const rows = panel.queues.map((q) => [
    escapeHtml(q.stage),
    escapeHtml(q.jobs.waiting),
    escapeHtml(q.jobs['waiting-children']),
    escapeHtml(q.jobs.active),
    escapeHtml(q.stale.length),
    escapeHtml(q.jobs.delayed),
    escapeHtml(q.jobs.failed),
    escapeHtml(q.workers),
  ]);
  const stale = panel.queues.flatMap((q) =>
    q.stale.map(
      (job) =>
        `<li>${escapeHtml(q.stage)} job ${escapeHtml(job.jobId)}: ${escapeHtml(job.reason)}${job.worker ? ` (worker ${escapeHtml(job.worker)})` : ''}; stall detection will hand it to another worker</li>`,
    ),
  );
  return `<h2>Queues</h2>\n${table(['Stage', 'Waiting', 'Waiting for children', 'Active', 'Stale', 'Delayed', 'Failed', 'Workers'], rows)}\n${stale.length ? `<ul>${stale.join('')}</ul>\n` : ''}<p>Jobs waiting for children wait for earlier stages. Add preprocessing workers with <code>captioner worker --stages preprocess</code> when jobs wait.</p>`;
}

/** `GET /`: every run (newest first) with its stage summary and final scores, and the stage queues. */
export function renderRunsPage(
  runs: RunListEntry[],
  queues: QueuesPanel = { kind: 'disabled' },
  options: { includeArchived?: boolean; tokenConfigured?: boolean } = {},
): string {
  const rows = runs.map((r) => [
    `<a href="/runs/${encodeURIComponent(r.id)}">${escapeHtml(r.id)}</a>`,
    `${escapeHtml(r.name)}${r.sweepId ? ` <a class="muted" href="/sweeps/${encodeURIComponent(r.sweepId)}">sweep ${escapeHtml(r.sweepId)}</a>` : ''}`,
    escapeHtml(r.dataset),
    `${status(r.status)}${r.archivedAt ? ' <span class="muted">archived</span>' : ''}`,
    escapeHtml(r.createdAt),
    Object.entries(r.stages)
      .map(
        ([stage, s]) =>
          `${escapeHtml(stage)} ${escapeHtml(s.done)}/${escapeHtml(s.total)} ${status(s.status)}`,
      )
      .join('<br>'),
    escapeHtml(formatScore(r.finalScores?.Bleu_4)),
    escapeHtml(formatScore(r.finalScores?.CIDEr)),
  ]);
  const body = runs.length
    ? table(['Run', 'Name', 'Data set', 'Status', 'Created', 'Stages', 'BLEU-4', 'CIDEr-D'], rows)
    : '<p>No runs yet. Start one with <code>captioner run start --dataset NAME</code> or <code>POST /api/runs</code>.</p>';
  const archivedLink = options.includeArchived
    ? '<a href="/">hide archived runs</a>'
    : '<a href="/?archived=1">show archived runs</a>';
  const account = options.tokenConfigured
    ? '<form class="inline" method="post" action="/logout"><button type="submit">log out</button></form>'
    : '';
  const board = queues.kind === 'disabled' ? '' : ' · <a href="/queues/board">queue board</a>';
  return page(
    'Captioner runs',
    `<h1>Runs</h1>\n<p>${archivedLink}${board} ${account}</p>\n${body}\n${renderQueues(queues)}`,
  );
}
