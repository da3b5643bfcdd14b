/**
 * Browser script of the caption page and the evaluation gallery: attention maps over images.
 *
 * A widget is an image in a square box (the centre crop the model saw) with a canvas over it, and the
 * caption's words as focusable buttons. Hovering or focusing a word draws its weights (one cell per grid
 * position, upscaled smoothly by the browser) on the canvas; the canvas carries the word and its weights in
 * data-word / data-weights, which the browser test reads. Arrow keys step through the words.
 *
 * Caption page: the form sends the chosen file as the raw body of POST /api/runs/:id/caption.
 * Gallery: hovering or focusing a sample's caption fetches GET /api/samples/:id/attention once (the API
 * decodes the image again with the evaluation's checkpoint and settings).
 */

interface CaptionAnswer {
  caption: string;
  words: string[];
  attention: number[][] | null;
  gridSide: number | null;
  crop: number;
  stored?: string;
  matches?: boolean;
  error?: string;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Draws one word's weights on the canvas: transparent where the model did not look, warm where it did. */
function drawMap(canvas: HTMLCanvasElement, weights: number[] | null, side: number, word: string): void {
  const context = canvas.getContext('2d');
  if (!context) return;
  canvas.width = side;
  canvas.height = side;
  context.clearRect(0, 0, side, side);
  canvas.dataset.word = word;
  canvas.dataset.weights = weights ? JSON.stringify(weights.map((w) => Number(w.toFixed(4)))) : '';
  if (!weights) return;
  const max = Math.max(...weights, 1e-9);
  const image = context.createImageData(side, side);
  weights.forEach((w, i) => {
    const v = w / max;
    // Alpha grows faster than linearly, so that the flat part of a map leaves the image visible.
    image.data.set([255, Math.round(220 * (1 - v)), 0, Math.round(220 * v ** 1.5)], i * 4);
  });
  context.putImageData(image, 0, 0);
}

/** The image box with the canvas over it; `crop` is the share of the shorter side the model saw. */
function imageBox(src: string, crop: number, alt: string): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const box = element('div', { class: 'attn-image' });
  const img = element('img', { src, alt });
  const scale = 100 / crop;
  img.style.width = img.style.height = `${scale}%`;
  img.style.left = img.style.top = `${(100 - scale) / 2}%`;
  const canvas = element('canvas', { class: 'attn-map', 'aria-hidden': 'true' });
  box.append(img, canvas);
  return { box, canvas };
}

/** Word buttons that draw their map on hover/focus; the arrow keys move between them. */
function wordButtons(answer: CaptionAnswer, canvas: HTMLCanvasElement): HTMLElement {
  const line = element('p', { class: 'attn-words' });
  const side = answer.gridSide ?? 0;
  answer.words.forEach((word, i) => {
    const button = element('button', { type: 'button', class: 'attn-word', 'data-index': String(i) }, word);
    const show = () => {
      line.querySelectorAll('.attn-word.active').forEach((b) => b.classList.remove('active'));
      button.classList.add('active');
      drawMap(canvas, answer.attention?.[i] ?? null, side, word);
    };
    button.addEventListener('mouseenter', show);
    button.addEventListener('focus', show);
    button.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      const buttons = line.querySelectorAll<HTMLButtonElement>('.attn-word');
      buttons[(i + step + buttons.length) % buttons.length]?.focus();
    });
    line.append(button, ' ');
  });
  if (!answer.attention) line.append(element('span', { class: 'muted' }, '(this model has no attention)'));
  return line;
}

// ---- caption page --------------------------------------------------------------------------------------

function readAsDataUrl(file: File): Promise<string> {
  // A data: URL, not a blob: one: the Content-Security-Policy allows images from this site and data: only.
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function setupCaptionForm(form: HTMLFormElement): void {
  const status = document.getElementById('caption-status')!;
  const result = document.getElementById('caption-result')!;
  const maxBytes = Number(form.dataset.maxBytes);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const data = new FormData(form);
      const file = data.get('image');
      if (!(file instanceof File) || file.size === 0)
        return void (status.textContent = 'choose an image file');
      if (file.size > maxBytes)
        return void (status.textContent = `${file.name}: larger than ${maxBytes} bytes`);
      status.textContent = 'captioning…';
      result.replaceChildren();
      const run = encodeURIComponent(String(data.get('run')));
      const checkpoint = encodeURIComponent(String(data.get('checkpoint')));
      const response = await fetch(`/api/runs/${run}/caption?checkpoint=${checkpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: file,
      });
      const answer = (await response.json()) as CaptionAnswer;
      if (!response.ok) return void (status.textContent = answer.error ?? `error ${response.status}`);
      status.textContent = '';
      const { box, canvas } = imageBox(await readAsDataUrl(file), answer.crop, file.name);
      const widget = element('div', { class: 'attn' });
      const caption = element('p', { class: 'caption' }, answer.caption);
      widget.append(box, element('div', {}, ''));
      widget.lastElementChild!.append(caption, wordButtons(answer, canvas));
      result.append(widget);
    })().catch((error: unknown) => {
      status.textContent = `failed: ${String(error)}`;
    });
  });
}

// ---- gallery -------------------------------------------------------------------------------------------

function setupGalleryCard(card: HTMLElement): void {
  const words = card.querySelector<HTMLElement>('.cand');
  const img = card.querySelector<HTMLImageElement>('img');
  const sample = card.dataset.sample;
  if (!words || !img || !sample) return;
  let started = false;
  const load = () => {
    if (started) return;
    started = true;
    words.classList.add('loading');
    void fetch(`/api/samples/${encodeURIComponent(sample)}/attention`)
      .then(async (response) => {
        const answer = (await response.json()) as CaptionAnswer;
        words.classList.remove('loading');
        if (!response.ok) {
          words.title = answer.error ?? `error ${response.status}`;
          return;
        }
        const { box, canvas } = imageBox(img.src.replace(/size=\d+/, 'size=384'), answer.crop, img.alt);
        img.replaceWith(box);
        words.replaceChildren(wordButtons(answer, canvas));
        if (answer.matches === false)
          words.append(element('div', { class: 'muted' }, 'decoded again (the stored caption differs)'));
        // The pointer is already over the caption: show the first word's map at once.
        words.querySelector<HTMLButtonElement>('.attn-word')?.dispatchEvent(new Event('mouseenter'));
      })
      .catch((error: unknown) => {
        words.title = String(error);
      });
  };
  words.addEventListener('mouseenter', load);
  words.addEventListener('focusin', load);
  words.tabIndex = 0;
}

const form = document.querySelector<HTMLFormElement>('#caption-form');
if (form) setupCaptionForm(form);
document.querySelectorAll<HTMLElement>('.card[data-sample]').forEach(setupGalleryCard);
