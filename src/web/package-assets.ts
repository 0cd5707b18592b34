import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Router } from 'express';

/** A file a page loads, served from this server: its bytes and content type. */
export interface Asset {
  body: Buffer;
  type: string;
}

/** A package's folder (its `exports` hide the UMD builds from require.resolve). */
export function packageDir(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== pkg) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${pkg}`);
    dir = up;
  }
  return dir;
}

/** A file of an installed package, read once at start-up. */
export function packageAsset(pkg: string, file: string, type: string): Asset {
  return { body: readFileSync(join(packageDir(pkg), file)), type };
}

/** A file beside the page's module (copied into dist by the build), read once at start-up. */
export function ownAsset(dir: string, file: string, type: string): Asset {
  return { body: readFileSync(join(dir, file)), type };
}

/** `GET <prefix>/:name` from a fixed set of files; anything else is a 404. */
export function serveAssets(router: Router, prefix: string, assets: Record<string, Asset>): void {
  const files = new Map(Object.entries(assets));
  router.get(`${prefix}/:name`, (req, res) => {
    const file = files.get(req.params.name);
    if (!file) { res.sendStatus(404); return; }
    res.type(file.type).set('Cache-Control', 'public, max-age=300').send(file.body);
  });
}

/** JSON for a <script type="application/json"> block: nothing in it can close the tag. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
