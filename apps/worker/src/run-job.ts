import 'reflect-metadata';
import { createRootLogger, PinoNestLogger } from '@app/common';
import { runJobCommand } from './run-job.command.js';

const logger = new PinoNestLogger(createRootLogger(process.env.LOG_LEVEL, 'worker'));
process.exitCode = await runJobCommand(process.argv[2], { logger }).catch((error: unknown) => {
  logger.error(error instanceof Error ? error.stack ?? error.message : String(error), 'run-job');
  return 1;
});
