import { ConfigError } from '@captioner/core/errors';

/** SHA-256 in hex with WebCrypto (`crypto.subtle`: the same code in Node 20+ and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  // Browsers offer crypto.subtle only in secure contexts: pages served over https:// or from localhost.
  if (!subtle)
    throw new ConfigError(
      'SHA-256 needs WebCrypto (crypto.subtle), which browsers only offer to pages served over https:// or from localhost',
    );
  const digest = await subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
