import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { collectDefaultMetrics } from 'prom-client';
import { createApiApp } from './app.factory.js';

collectDefaultMetrics();
const app = await createApiApp();
const port = app.get(ConfigService).get<number>('PORT', 3000);
await app.listen(port);
