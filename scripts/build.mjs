// `npm run build`: apps, libs and migrations to dist/ (about a second). Type checking is `npm run typecheck`.
import { join } from 'node:path';
import { compile, root } from './compile.mjs';

const started = Date.now();
const files = await compile(join(root, 'dist'));
if (!process.argv.includes('--quiet')) console.log(`built ${files} files into dist/ in ${Date.now() - started} ms`);
