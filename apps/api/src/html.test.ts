import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, InvalidInputError, NotFoundError } from '@captioner/core';
import { escapeHtml } from './dashboard/html';
import { statusOf } from './errors';

describe('escapeHtml', () => {
  it('escapes the five HTML special characters and prints nothing for null', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(3)).toBe('3');
  });
});

describe('statusOf', () => {
  it('maps Captioner errors to HTTP statuses', () => {
    expect(statusOf(new InvalidInputError('x'))).toBe(400);
    expect(statusOf(new ConfigError('x'))).toBe(400);
    expect(statusOf(new NotFoundError('x'))).toBe(404);
    expect(statusOf(new ConnectionError('x'))).toBe(503);
    expect(statusOf(new Error('x'))).toBe(500);
  });
});
