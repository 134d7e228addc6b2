// Compiles apps/, libs/ and migrations/ to ES modules with SWC (aliases resolved), into `outDir`.
import { transformFile } from '@swc/core';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swcOptions } from '../swc.config.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// bench/ and the non-spec parts of test/ (the Stripe double, factories) are compiled too, for the benchmarks.
const sources = ['apps', 'libs', 'migrations', 'bench', 'test'];

async function* tsFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.e2e-spec.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Returns the number of files written. */
export async function compile(outDir) {
  await rm(outDir, { recursive: true, force: true });
  const options = swcOptions();
  const jobs = [];
  for (const source of sources) {
    if (!existsSync(join(root, source))) continue;
    for await (const file of tsFiles(join(root, source))) {
      jobs.push((async () => {
        const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
        const { code, map } = await transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) });
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
        if (map) await writeFile(`${target}.map`, map);
      })());
    }
  }
  await Promise.all(jobs);
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return jobs.length;
}

async function* allFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* allFiles(path);
    else yield path;
  }
}

/** What the build depends on: every source's path, size and mtime, and the build's own configuration. */
async function sourceStamp() {
  const hash = createHash('sha256');
  const files = [join(root, 'swc.config.mjs'), join(root, 'scripts', 'compile.mjs')];
  for (const source of sources) if (existsSync(join(root, source))) for await (const file of tsFiles(join(root, source))) files.push(file);
  for (const file of files.sort()) {
    const { size, mtimeMs } = await stat(file);
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/**
 * `dist/` for the npm scripts, never pulled from under a running process: nothing is done when the sources
 * have not changed since the last build (the usual case for `npm run job` beside a running server); otherwise
 * the build goes to a fresh folder and each file is then moved over its old version with rename(), which
 * replaces it atomically, so a process importing from dist/ meanwhile reads either version, never a gap.
 * Only outputs of deleted sources are removed. Answers { files, skipped }.
 */
export async function buildDist({ force = false } = {}) {
  const dist = join(root, 'dist');
  const stampFile = join(dist, '.build-stamp');
  const stamp = await sourceStamp();
  if (!force && existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return { files: 0, skipped: true };
  const cache = join(root, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const staging = await mkdtemp(join(cache, 'vb-dist-'));
  try {
    const files = await compile(staging);
    const built = new Set();
    for await (const file of allFiles(staging)) {
      const rel = relative(staging, file);
      built.add(rel);
      await mkdir(dirname(join(dist, rel)), { recursive: true });
      await rename(file, join(dist, rel));
    }
    for await (const file of allFiles(dist)) {
      const rel = relative(dist, file);
      if (!built.has(rel) && rel !== '.build-stamp') await rm(file, { force: true });
    }
    await writeFile(`${stampFile}.${process.pid}`, stamp);
    await rename(`${stampFile}.${process.pid}`, stampFile);
    return { files, skipped: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
