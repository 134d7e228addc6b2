import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createRootLogger, PinoNestLogger } from '@app/common';
import { AppModule } from './app.module.js';
import { requestLogging } from './common/request-logging.js';
import { createValidationPipe } from './common/validation.js';
import { httpMetrics } from './metrics/http-metrics.js';

/**
 * The API exactly as it runs in production: main.ts listens on it, the e2e tests drive it with supertest.
 * The raw body is kept for Stripe's signature check; JSON bodies over 1 MB are refused with 413.
 */
export async function createApiApp(): Promise<NestExpressApplication> {
  const logger = createRootLogger(process.env.LOG_LEVEL, 'api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { rawBody: true, bodyParser: false, logger: new PinoNestLogger(logger) });
  const config = app.get(ConfigService);
  app.use(requestLogging(logger));
  app.use(httpMetrics());
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: false });
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  app.set('trust proxy', config.get<string>('TRUST_PROXY', 'loopback'));
  app.enableShutdownHooks([], { useProcessExit: true }); // SIGTERM: close, then exit 0
  setUpOpenApi(app);
  return app;
}

function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Vendor billing API')
    .setDescription('Subscriptions, limits and Stripe billing for multi-vendor commerce platforms.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config));
}
