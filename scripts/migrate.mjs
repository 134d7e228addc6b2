// `npm run migration:run` / `migration:revert` (built sources in dist/): on DATABASE_URL (DATABASE_DIRECT_URL when
// set: the migration lock is a session's, which a transaction-mode pooler cannot hold), else on the embedded
// database of DATA_DIR (./.data): the one `npm start` is running, or one started for this command and stopped after.
// One line on success or failure; exit 0 only when it worked.
import { errorLine, migrateDatabase, openCommandDatabase, sessionDatabaseUrl } from '../dist/libs/database/src/index.js';

const direction = process.argv[2] === 'revert' ? 'revert' : 'run';
let code = 1;
try {
  const database = await openCommandDatabase({ databaseUrl: sessionDatabaseUrl(process.env), dataDir: process.env.DATA_DIR || '.data', owner: `npm run migration:${direction}` });
  try {
    const names = await migrateDatabase(database.url, direction);
    console.log(names.length === 0 ? 'Nothing to do: the database is up to date.' : `${direction === 'run' ? 'Applied' : 'Reverted'}: ${names.join(', ')}`);
    code = 0;
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(`migration:${direction} failed: ${errorLine(error)}`);
}
process.exit(code);
