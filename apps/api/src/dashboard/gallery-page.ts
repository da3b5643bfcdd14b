import type { galleryView } from '@captioner/db';
import { escapeHtml, formatScore, page, status } from './html';

type Gallery = Awaited<ReturnType<typeof galleryView>>;

const ORDERS = [
  ['cider', 'CIDEr-D'],
  ['bleu4', 'BLEU-4'],
  ['rougeL', 'ROUGE-L'],
  ['image', 'image id'],
] as const;

/**
 * `GET /evaluations/:id`: every sample as a card (thumbnail, generated caption, references, per-image
 * scores), sorted and filtered with a plain GET form, so it works without script. With script
 * (client/caption.ts), hovering a caption shows its words' attention maps over the image.
 */
export function renderGalleryPage(gallery: Gallery, query: { order: string; word?: string }): string {
  const scores = gallery.scores
    ? `<p>BLEU-4 ${formatScore(gallery.scores.Bleu_4)} · CIDEr-D ${formatScore(gallery.scores.CIDEr)} · ROUGE-L ${formatScore(gallery.scores.ROUGE_L)}</p>`
    : '';
  const form = `<form method="get" class="filters">
<label>sort by <select name="order">${ORDERS.map(
    ([value, label]) =>
      `<option value="${value}"${value === query.order ? ' selected' : ''}>${escapeHtml(label)}</option>`,
  ).join('')}</select></label>
<label>word <input name="word" value="${escapeHtml(query.word ?? '')}" size="12" placeholder="e.g. red"></label>
<button type="submit">apply</button></form>`;
  const cards = gallery.samples.map(
    (s) => `<figure class="card" data-sample="${s.id}">
<img src="/thumbnails/${s.id}?size=192" alt="image ${escapeHtml(s.imageId)}" loading="lazy" width="192" height="192">
<figcaption><div class="cand">${escapeHtml(s.candidate)}</div>
<ul>${s.references.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>
<div class="muted">${escapeHtml(s.imageId)} · CIDEr-D ${formatScore(s.CIDEr)} · BLEU-4 ${formatScore(s.Bleu_4)} · ROUGE-L ${formatScore(s.ROUGE_L)}</div>
</figcaption></figure>`,
  );
  const shown = query.word
    ? `${gallery.samples.length} of ${gallery.total} samples contain “${escapeHtml(query.word)}”`
    : `${gallery.samples.length} of ${gallery.total} samples`;
  return page(
    `Captioner evaluation ${gallery.id}`,
    `<p><a href="/runs/${encodeURIComponent(gallery.run.id)}">← run ${escapeHtml(gallery.run.name ?? gallery.run.id)}</a></p>
<h1>Evaluation ${escapeHtml(gallery.id)} (${escapeHtml(gallery.split)}): ${status(gallery.status)}</h1>
${scores}${form}<p class="muted">${shown}</p>
<p class="muted">Hover a generated caption (or focus it) to see where the model looked for each word.</p>
<div class="gallery">${cards.join('\n')}</div>`,
    { refresh: false, scripts: ['/assets/caption.js'] },
  );
}
