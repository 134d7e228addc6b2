import SwaggerParser from '@apidevtools/swagger-parser';
import { join } from 'node:path';
import { createTestDatabase } from '../support/database.js';
import { buildApps, freePort, removeTempDataDirs, spawnNode, tempDataDir, waitUntilReady, type Build, type Spawned } from './support/built-process.js';

// Generators that validate first (openapi-generator's default) reject a whole document for one bad part, so the
// document the built API serves must pass a strict validator. It is checked on the built process, not in jest:
// @nestjs/terminus's @HealthCheck() documents its routes through a require() that only takes effect there, which
// is how an OpenAPI 2 `schema` beside /health/ready's responses went unnoticed by test/ops/openapi.e2e-spec.ts.

const SLOW = 90_000;

describe('the OpenAPI document the built API serves', () => {
  let build: Build;
  let api: Spawned;
  let base: string;

  beforeAll(async () => {
    const [built, databaseUrl, port] = await Promise.all([buildApps(), createTestDatabase(), freePort()]);
    build = built;
    base = `http://127.0.0.1:${port}`;
    api = spawnNode(join(build.dir, 'apps/api/src/main.js'), {
      NODE_ENV: 'test', DATABASE_URL: databaseUrl, JWT_SECRET: `openapi-${'x'.repeat(40)}`, PORT: String(port), DATA_DIR: tempDataDir(), LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '2',
    });
    await waitUntilReady(`${base}/health/ready`, api, 60_000);
  }, SLOW);
  afterAll(async () => {
    await api?.stop();
    build?.remove();
    removeTempDataDirs();
  });

  it('validates strictly with @apidevtools/swagger-parser', async () => {
    const res = await fetch(`${base}/api/docs-json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string };
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place: hand it a copy, and report every problem it names.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents /health/ready\'s answers as OpenAPI 3 content (200 and the 503 body)', async () => {
    const doc = (await (await fetch(`${base}/api/docs-json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, Record<string, unknown>> }>> };
    const responses = doc.paths['/health/ready'].get.responses;
    for (const status of ['200', '503']) {
      expect(responses[status]).not.toHaveProperty('schema');
      expect(responses[status]).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/ReadyDto' } } } });
    }
  });
});
