import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** Keel's version, from its package.json (read once; from `src/` or `dist/src/`). */
export function keelVersion(): string {
  if (cached !== undefined) return cached;
  for (const path of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'keel' && typeof pkg.version === 'string') {
        cached = pkg.version;
        return cached;
      }
    } catch {
      // not this layout: try the next
    }
  }
  cached = '0.0.0';
  return cached;
}
