// `npm run job -- <name>`: on DATABASE_URL, else on the embedded database of DATA_DIR (the one `npm start` runs,
// or one started for this run, migrated, and stopped after). Exit 0 succeeded or skipped, 1 failed, 2 unknown name.
import 'reflect-metadata';
import { createRootLogger, PinoNestLogger } from '@app/common';
import { errorLine, openCommandDatabase } from '@app/database';
import { EXIT_FAILED, EXIT_UNKNOWN_JOB, JOB_NAMES, runJobCommand } from './run-job.command.js';

const logger = new PinoNestLogger(createRootLogger(process.env.LOG_LEVEL ?? 'warn', 'worker'));
const name = process.argv[2];

async function main(): Promise<number> {
  if (!name || !JOB_NAMES.includes(name)) return runJobCommand(name); // prints the list, exit 2
  const database = await openCommandDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR || '.data', owner: `npm run job -- ${name}`, migrate: true });
  process.env.DATABASE_URL = database.url;
  try {
    return await runJobCommand(name, { logger });
  } finally {
    await database.close();
  }
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(`job ${name} failed: ${errorLine(error)}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAILED;
});
// Exit now: a pool or timer left open must not keep the command (and its caller) waiting.
process.exit(code === EXIT_UNKNOWN_JOB ? EXIT_UNKNOWN_JOB : code);
