/**
 * The console's static files (built by Vite into dist/console), read into memory once at start
 * and served from a map: a request path is only ever looked up, never joined onto a directory,
 * so no path can reach a file outside the build. Paths with `..`, backslashes or NUL are refused
 * outright (400 BAD_PATH). Hashed files under assets/ are immutable for a year; index.html is
 * no-cache, so a new build is picked up on the next load.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

/** Where the build lands: dist/console beside dist/src (compiled) or under dist/ (from source). */
export function defaultAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, '..', '..', 'console');
  return existsSync(join(compiled, 'index.html')) ? compiled : join(here, '..', '..', 'dist', 'console');
}

export class ConsoleAssets {
  private readonly files = new Map<string, Asset>();

  constructor(readonly dir: string) {
    if (!existsSync(join(dir, 'index.html'))) return;
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else {
          const rel = relative(dir, p).split(sep).join('/');
          const body = readFileSync(p);
          const hashed = rel.startsWith('assets/');
          this.files.set(rel, {
            body,
            contentType: TYPES[extname(p)] ?? 'application/octet-stream',
            cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
            etag: `"${body.length.toString(16)}-${statSync(p).mtimeMs.toString(16)}"`,
          });
        }
      }
    };
    walk(dir);
  }

  /** true when a build was found */
  get built(): boolean {
    return this.files.has('index.html');
  }

  /**
   * The file for a path below /console/ ('' = index.html); 'bad' for a path that tries to leave
   * the build; null when there is no such file.
   */
  lookup(rest: string): Asset | 'bad' | null {
    let p: string;
    try {
      p = decodeURIComponent(rest);
    } catch {
      return 'bad';
    }
    if (p.includes('..') || p.includes('\\') || p.includes('\0') || p.startsWith('/')) return 'bad';
    return this.files.get(p === '' ? 'index.html' : p) ?? null;
  }
}
