import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRootLogger, PinoNestLogger } from '@app/common';
import { AppModule } from './app.module.js';
import { routerErrorEnvelope } from './common/api-exception.filter.js';
import { jsonBodyParser, MAX_BODY_BYTES } from './common/body-parsing.js';
import { registerBodyRules } from './common/body-rules.js';
import { registerRequestLogging, requestIdOf } from './common/request-logging.js';
import { createValidationPipe } from './common/validation.js';
import { registerHttpMetrics } from './metrics/http-metrics.js';

/**
 * The API exactly as it runs in production: main.ts listens on it, the e2e tests drive it with supertest.
 * It runs on Fastify (Nest's controllers, guards, pipes and filter are the same on any adapter; this file and the
 * hooks it registers are the only adapter-specific code). The raw body is kept for Stripe's signature check;
 * bodies over 1 MB are refused with 413, compressed or non-UTF-8 ones with 415 (common/body-rules.ts).
 */
export async function createApiApp(): Promise<NestFastifyApplication> {
  const logger = createRootLogger(process.env.LOG_LEVEL, 'api');
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    // Whose X-Forwarded-For to believe (the per-IP login limit keys on the address it yields); same syntax as
    // Express's `trust proxy`: addresses, CIDRs or names like `loopback`, comma-separated. Read here because the
    // adapter exists before the app's ConfigService does; the value was validated by the entry point.
    trustProxy: process.env.TRUST_PROXY || 'loopback',
    genReqId: requestIdOf,
    requestIdHeader: false,
    logger: false,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const body = routerErrorEnvelope(error);
      void reply.code(body.status_code).header('x-request-id', request.id).send(body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { rawBody: true, logger: new PinoNestLogger(logger) });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  registerRequestLogging(fastify, logger);
  registerBodyRules(fastify); // after the request id is set: its 415 carries it
  registerHttpMetrics(fastify);
  app.useBodyParser('application/json', { bodyLimit: MAX_BODY_BYTES }, jsonBodyParser());
  app.useGlobalPipes(createValidationPipe());
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
