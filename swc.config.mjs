// One SWC configuration for the build (scripts/build.mjs) and for jest (@swc/jest).
// Path aliases are rewritten here because tsc only type-checks them.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const tsconfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.json'), 'utf8'));

export function swcOptions({ forJest = false } = {}) {
  return {
    sourceMaps: forJest ? 'inline' : true,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      keepClassNames: true,
      baseUrl: root,
      paths: tsconfig.compilerOptions.paths,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6', resolveFully: true },
  };
}
