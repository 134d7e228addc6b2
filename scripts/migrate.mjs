// `npm run migration:run` / `migration:revert` on DATABASE_URL (built sources in dist/).
import { migrateDatabase } from '../dist/libs/database/src/index.js';

const direction = process.argv[2] === 'revert' ? 'revert' : 'run';
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: migrations run against the database it names.');
  process.exit(2);
}
const names = await migrateDatabase(url, direction);
console.log(names.length === 0 ? 'Nothing to do: the database is up to date.' : `${direction === 'run' ? 'Applied' : 'Reverted'}: ${names.join(', ')}`);
