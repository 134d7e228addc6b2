// `npm run build`: apps, libs and migrations to dist/ (about a second). Type checking is `npm run typecheck`.
// `--if-changed` (what `npm start`, `npm run job`, … run first) skips the build when dist/ is current. Either
// way the files in dist/ are replaced one by one, atomically, never deleted under a running process.
import { buildDist } from './compile.mjs';

const started = Date.now();
const { files, skipped } = await buildDist({ force: !process.argv.includes('--if-changed') });
if (!process.argv.includes('--quiet')) console.log(skipped ? 'dist/ is up to date' : `built ${files} files into dist/ in ${Date.now() - started} ms`);
