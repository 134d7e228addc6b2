import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC_SUBDIR = join('apps', 'api', 'public');

/**
 * `apps/api/public` of the project. The build compiles only .ts, so the page's files are read from the
 * source tree: found by walking up from this module (apps/api/src/pages under jest, dist/apps/api/src/pages
 * when built, /app/dist/… in the container, which copies the folder) and, failing that, from the working directory.
 */
export function findPublicDir(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, PUBLIC_SUBDIR);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  return join(process.cwd(), PUBLIC_SUBDIR);
}

/** The files the API serves, by public name; nothing outside this list is ever read. */
export const PUBLIC_FILES = {
  'billing.html': 'text/html; charset=utf-8',
  'billing.js': 'text/javascript; charset=utf-8',
  'billing.css': 'text/css; charset=utf-8',
  // The fetch wrapper both pages import (the admin console too, from /assets/api-client.js).
  'api-client.js': 'text/javascript; charset=utf-8',
} as const;

export type PublicFile = keyof typeof PUBLIC_FILES;

export function isPublicFile(name: string): name is PublicFile {
  return Object.hasOwn(PUBLIC_FILES, name);
}

/** Read on each request (they are a few kB), so an edited page shows without a restart. */
export function readPublicFile(dir: string, name: PublicFile): Promise<string> {
  return readFile(join(dir, name), 'utf8');
}
