import { escapeHtml, page } from './html';

/** `GET /login`: one password field for CAPTIONER_API_TOKEN. */
export function renderLoginPage(next: string, tokenConfigured: boolean, error?: string): string {
  const body = tokenConfigured
    ? `<h1>Log in</h1>
${error ? `<p class="failed">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>API token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">log in</button></form>
<p class="muted">The value of CAPTIONER_API_TOKEN. It stays in an HttpOnly cookie of this site for 7 days.</p>`
    : '<h1>Log in</h1><p>This API has no token (CAPTIONER_API_TOKEN unset): nothing to log in to.</p>';
  return page('Captioner login', body, { refresh: false });
}
