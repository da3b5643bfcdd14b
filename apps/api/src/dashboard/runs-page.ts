import type { RunListEntry } from '@captioner/db';
import { escapeHtml, formatScore, page, status, table } from './html';

/** `GET /`: every run (newest first) with its stage summary and final scores. */
export function renderRunsPage(runs: RunListEntry[]): string {
  const rows = runs.map((r) => [
    `<a href="/runs/${encodeURIComponent(r.id)}">${escapeHtml(r.id)}</a>`,
    escapeHtml(r.name),
    escapeHtml(r.dataset),
    status(r.status),
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
  return page('Captioner runs', `<h1>Runs</h1>\n${body}`);
}
