const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every value that reaches the page goes through here: run names and error messages are user text. */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString().slice(0, 19).replace('T', ' ') : String(value);
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function formatScore(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(3) : '–';
}

/** A table from already-escaped cells. */
export function table(headers: string[], rows: string[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1rem 2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f4f4f4}.succeeded,.finished{color:#17803d}.failed{color:#b91c1c}.running{color:#1d4ed8}.cancelled{color:#777}
progress{width:10rem}code{font-size:12px}.scroll{overflow-x:auto;max-width:100%}
nav a{margin-right:1rem}.curves{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
.curve{min-width:0}.curve h3{margin:.2rem 0;font-size:14px}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.8rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.5rem;margin:0}.card img{width:100%;height:auto;image-rendering:pixelated;background:#eee}
.card .cand{font-weight:600}.card ul{margin:.2rem 0;padding-left:1.1rem;color:#555}.muted{color:#777}
form.inline{display:inline;margin-right:.5rem}.log-warn{color:#b45309}.log-error{color:#b91c1c}button.danger{color:#b91c1c}input,select,button{font:inherit}
.attn{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}.attn-image{position:relative;overflow:hidden;width:min(384px,100%);aspect-ratio:1;background:#eee}
.attn-image img{position:absolute;object-fit:cover;image-rendering:pixelated}.attn-map{position:absolute;inset:0;width:100%;height:100%;opacity:.8;pointer-events:none}
.card .attn-image{width:100%}.attn-words{line-height:2}.attn-word{border:1px solid #ccc;border-radius:4px;background:#fafafa;padding:.1rem .4rem;cursor:pointer}
.attn-word.active,.attn-word:focus{background:#fde68a;border-color:#b45309;outline:none}.caption{font-size:1.2rem;font-weight:600}.cand.loading{opacity:.6}
@media (max-width:700px){body{margin:.5rem}.curves{grid-template-columns:1fr}progress{width:5rem}}`;

/**
 * The page frame. Pages without `live` refresh with a meta refresh (no script); `live` pages bring their
 * own scripts (external files only: the Content-Security-Policy allows no inline script).
 */
export function page(
  title: string,
  body: string,
  options: { scripts?: string[]; styles?: string[]; refresh?: boolean } = {},
): string {
  const scripts = options.scripts ?? [];
  const refresh = options.refresh ?? scripts.length === 0;
  const head =
    (refresh ? '<meta http-equiv="refresh" content="5">' : '') +
    scripts.map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join('');
  const styles = (options.styles ?? [])
    .map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${head}${styles}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<nav><a href="/">Runs</a><a href="/sweeps">Sweeps</a><a href="/compare">Compare</a><a href="/caption">Caption an image</a></nav>
${body}
</body></html>
`;
}

export function status(value: string): string {
  return `<span class="${escapeHtml(value)}">${escapeHtml(value)}</span>`;
}
