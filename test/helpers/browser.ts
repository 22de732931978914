/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (no browser download). CHROMIUM_PATH overrides where it is looked for; a missing
 * browser fails the test with the command that installs it (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export function chromiumPath(): string {
  const own = process.env.CHROMIUM_PATH;
  if (own !== undefined && own !== '') {
    if (!existsSync(own)) throw new Error(`CHROMIUM_PATH=${own} does not exist`);
    return own;
  }
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (found === undefined) throw new Error('headless Chromium not found: install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)');
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}
