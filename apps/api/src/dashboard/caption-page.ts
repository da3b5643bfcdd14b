import type { runListView } from '@captioner/db';
import { escapeHtml, page } from './html';

type RunList = Awaited<ReturnType<typeof runListView>>;

/**
 * `GET /caption`: pick a run, upload an image, see its caption; hovering or focusing a word (arrow keys step
 * through them) lays that word's attention map over the image. The form needs script (client/caption.ts):
 * it sends the file as the raw body of `POST /api/runs/:id/caption`.
 */
export function renderCaptionPage(runs: RunList, selected: string | undefined, maxBytes: number): string {
  // Succeeded runs first (they have a best checkpoint); a running one may have one too.
  const ordered = [...runs].sort(
    (a, b) => Number(b.status === 'succeeded') - Number(a.status === 'succeeded'),
  );
  const options = ordered
    .map(
      (run) =>
        `<option value="${escapeHtml(run.id)}"${run.id === selected ? ' selected' : ''}>${escapeHtml(run.name ?? run.id)} · ${escapeHtml(run.status)}</option>`,
    )
    .join('');
  return page(
    'Captioner: caption an image',
    `<h1>Caption an image</h1>
<form id="caption-form" class="filters" data-max-bytes="${maxBytes}">
<label>run <select name="run" required>${options}</select></label>
<label>checkpoint <select name="checkpoint"><option value="best">best</option><option value="last">last</option><option value="bundle">exported bundle</option></select></label>
<label>image <input type="file" name="image" accept="image/*" required></label>
<button type="submit">caption</button></form>
<p class="muted">JPEG, PNG, WebP, GIF, TIFF or AVIF up to ${Math.round(maxBytes / 1024 / 1024)} MB; the type is checked by content.
Hover a word (or focus it and use the arrow keys) to see where the model looked.</p>
<p id="caption-status" role="status"></p>
<div id="caption-result"></div>`,
    { scripts: ['/assets/caption.js'], refresh: false },
  );
}
