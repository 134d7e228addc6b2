// Compiles apps/, libs/ and migrations/ to ES modules with SWC (aliases resolved), into `outDir`.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
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
