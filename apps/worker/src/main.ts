import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createRootLogger, exitOnInvalidEnvironment, PinoNestLogger } from '@app/common';

exitOnInvalidEnvironment();
const { WorkerModule } = await import('./worker.module.js');
const logger = new PinoNestLogger(createRootLogger(process.env.LOG_LEVEL, 'worker'));
const app = await NestFactory.createApplicationContext(WorkerModule, { logger });
// On SIGTERM Nest stops the scheduler and waits for the modules to close; a running job finishes or rolls back.
app.enableShutdownHooks([], { useProcessExit: true }); // close, then exit 0
const { JobScheduler } = await import('./job-scheduler.js');
const scheduled = app.get(JobScheduler).scheduled;
logger.log(`worker started: ${scheduled.length} jobs scheduled (UTC): ${scheduled.join(', ')}`, 'Worker');
// Started by `npm start`: if that process dies without stopping us (SIGKILL), stop too rather than run on as an orphan.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
