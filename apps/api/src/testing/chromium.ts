import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium', '/usr/bin/google-chrome'];
const INSTALL_HINT =
  'apt-get install chromium-headless-shell (Debian), or set CAPTIONER_CHROMIUM to a Chromium/Chrome binary';

/** The Chromium binary for the browser tests (as packages/model's browser test finds it), or why there is none. */
export function findChromium(): { path?: string; missing: string } {
  const override = process.env.CAPTIONER_CHROMIUM;
  if (override)
    return existsSync(override)
      ? { path: override, missing: '' }
      : { missing: `CAPTIONER_CHROMIUM=${override} does not exist: ${INSTALL_HINT}` };
  return {
    path: CANDIDATES.find((file) => existsSync(file)),
    missing: `no Chromium for the dashboard browser test: ${INSTALL_HINT}`,
  };
}
