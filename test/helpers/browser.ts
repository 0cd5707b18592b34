import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where tests leave screenshots; CI keeps this folder as an artifact. */
export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts');

/** `describe` when Chromium is installed, else the suite is skipped, saying why. */
export function describeInBrowser(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, suite);
  } else {
    describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`, suite);
  }
}

/**
 * Headless Chromium with a fresh profile, and nothing of its own on the network: no background
 * requests, no component updates, no sync, so that every request a page makes is the page's.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Every request and WebSocket the page opens to a host other than `origin`'s. */
export function requestsElsewhere(page: Page, origin: string): string[] {
  const host = new URL(origin).host;
  const elsewhere: string[] = [];
  const note = (url: string) => {
    const parsed = new URL(url);
    if ((parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'ws:' || parsed.protocol === 'wss:') && parsed.host !== host) elsewhere.push(url);
  };
  page.on('request', (request) => note(request.url()));
  page.on('websocket', (socket) => note(socket.url()));
  return elsewhere;
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
