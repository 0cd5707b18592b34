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

/** What a look at the page found wrong, one line each; empty when all is well. */
export interface Look {
  problems: string[];
  /** The smallest font of any text on screen, in px. */
  smallestFont: number;
  rows: number;
}

/**
 * Looks at what the page shows now: every visible text fits its box (a block's scroll size within
 * its client size, an inline's box within its block's), no text is smaller than `minFont` px, and
 * every row shown has its figure and status visible (on screen, not covered) and apart from its bar.
 */
export function look(page: Page, minFont: number): Promise<Look> {
  // Runs in the page: typed loosely, as this project compiles without the DOM's types.
  return page.evaluate((min) => {
    const w = globalThis as any;
    const document = w.document;
    const problems: string[] = [];
    let smallestFont = Infinity;
    const name = (el: any) => {
      const row = el.closest('.row') ;
      return `${row ? `[${row.dataset.indicator}] ` : ''}${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    };
    const shown = (el: any) => el.getClientRects().length > 0 && !el.closest('[hidden]');
    const inside = (a: any, b: any) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
    const view = new w.DOMRect(0, 0, w.innerWidth, w.innerHeight);
    for (const el of Array.from(document.querySelectorAll('body *')) as any[]) {
      if (!shown(el) || el.closest('script, style, svg, #map-canvas')) continue;
      const style = w.getComputedStyle(el);
      const block = style.display !== 'inline';
      if (block && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) && style.overflow !== 'visible') {
        problems.push(`${name(el)} overflows: ${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}`);
      }
      const text = Array.from(el.childNodes).some((n: any) => n.nodeType === 3 && (n.textContent ?? '').trim());
      if (!text) continue;
      const size = parseFloat(style.fontSize);
      smallestFont = Math.min(smallestFont, size);
      if (size < min) problems.push(`${name(el)} is ${size.toFixed(1)} px`);
      if (block && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} is cut: ${el.scrollWidth} in ${el.clientWidth}`);
      const rect = el.getBoundingClientRect();
      if (!inside(rect, view)) problems.push(`${name(el)} is off screen`);
      if (!block) {
        let parent = el.parentElement;
        while (w.getComputedStyle(parent).display === 'inline') parent = parent.parentElement;
        if (!inside(rect, parent.getBoundingClientRect())) problems.push(`${name(el)} leaves its box ${name(parent)}`);
      }
    }
    const rowsBox = document.getElementById('rows').getBoundingClientRect();
    const rows = Array.from(document.querySelectorAll('.row')).filter(shown) as any[];
    for (const row of rows) {
      if (!inside(row.getBoundingClientRect(), rowsBox)) problems.push(`${name(row)} is outside the rows`);
      for (const part of ['.status', '.figure .actual', '.figure .target', '.pct']) {
        const el = row.querySelector(part);
        if (!el || !shown(el)) { problems.push(`${name(row)} shows no ${part}`); continue; }
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (!hit || !(el === hit || el.contains(hit))) problems.push(`${name(el)} is covered by ${hit ? name(hit) : 'nothing'}`);
      }
      const figure = row.querySelector('.figure').getBoundingClientRect();
      const bar = row.querySelector('.bar').getBoundingClientRect();
      if (figure.right > bar.left && figure.left < bar.right) problems.push(`${name(row)}: its figure overlaps its bar`);
    }
    return { problems, smallestFont, rows: rows.length };
  }, minFont);
}
