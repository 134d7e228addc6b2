import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { collectDefaultMetrics } from 'prom-client';
import { exitOnInvalidEnvironment } from '@app/common';

exitOnInvalidEnvironment();
collectDefaultMetrics();
// Imported after the check: importing the app module validates the environment again, with a stack trace.
const { createApiApp } = await import('./app.factory.js');
const app = await createApiApp();
const port = app.get(ConfigService).get<number>('PORT', 3000);
await app.listen(port);
