import type { Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

// CONTRACT §8 `/api/docs`: a document a frontend developer can generate a client from. This walks every operation
// of /api/docs-json, so a new route is held to it too: give it a response DTO (@ApiOkResponse({ type })), its error
// answers (@ApiErrors(...) from apps/api/src/common/openapi; @VendorOnly()/@AdminOnly() add 401 and 403), and
// @ApiProperty on every query field.

interface Schema {
  $ref?: string;
  type?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
}
interface Parameter { name: string; in: string; required?: boolean; schema?: Schema }
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const ENVELOPE = '#/components/schemas/ErrorEnvelopeDto';

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let operations: Array<{ key: string; path: string; method: string; op: Operation }>;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await request(t.http).get('/api/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op: item[method] })),
    );
  });
  afterAll(() => t.close());

  /** A schema with its `$ref` (or a lone `allOf: [{ $ref }]`, how a named enum is referenced) followed. */
  const deref = (schema: Schema | undefined): Schema | undefined => {
    const ref = schema?.$ref ?? (schema?.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
    return ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
  };

  const resolves = (schema: Schema | undefined): boolean => {
    if (!schema) return false;
    if (schema.$ref) return Object.hasOwn(doc.components.schemas, schema.$ref.replace('#/components/schemas/', ''));
    if (schema.type === 'array') return resolves(schema.items);
    return Boolean(schema.type && (schema.type !== 'object' || schema.properties || schema.additionalProperties));
  };

  it('covers the contract’s routes', () => {
    const keys = operations.map((o) => o.key);
    for (const key of [
      'POST /api/v1/auth/signup', 'POST /api/v1/auth/login', 'GET /api/v1/vendor/billing/subscription', 'GET /api/v1/vendor/billing/tiers',
      'POST /api/v1/vendor/billing/checkout', 'GET /api/v1/vendor/billing/invoices', 'GET /api/v1/vendor/billing/upcoming-invoice',
      'POST /api/v1/vendor/billing/change-tier', 'POST /api/v1/vendor/billing/addons/purchase', 'DELETE /api/v1/vendor/billing/addons/{id}',
      'GET /api/v1/vendor/products', 'POST /api/v1/vendor/team', 'GET /api/v1/admin/platform-health/trends', 'GET /api/v1/admin/webhook-events',
    ]) expect(keys).toContain(key);
  });

  it('gives every operation a 2xx answer with a schema (204: no body)', () => {
    const missing = operations.filter(({ op }) => {
      const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (ok.length === 0) return true;
      return ok.some(([status, r]) => status !== '204' && !resolves(r.content?.['application/json']?.schema));
    });
    expect(missing.map((o) => o.key)).toEqual([]);
  });

  it('answers every 4xx in the error envelope, and declares 401 wherever a token is needed', () => {
    const bad: string[] = [];
    for (const { key, op } of operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (/^4\d\d$/.test(status) && r.content?.['application/json']?.schema?.$ref !== ENVELOPE) bad.push(`${key} ${status}`);
      }
      if (op.security?.length && !op.responses['401']) bad.push(`${key} lacks 401`);
    }
    expect(bad).toEqual([]);
    expect(deref(doc.components.schemas.ErrorEnvelopeDto.properties!.error_code)!.enum).toEqual(expect.arrayContaining(['RATE_LIMITED', 'VALIDATION_FAILED', 'PAYMENT_PROVIDER_ERROR']));
    expect(doc.components.schemas.ErrorEnvelopeDto.properties).toEqual(
      expect.objectContaining({ status_code: expect.anything(), error_code: expect.anything(), message: expect.anything(), details: expect.anything() }),
    );
  });

  it('declares the error answers of the login limit and of the Stripe routes', () => {
    expect(Object.keys(doc.paths['/api/v1/auth/login'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    for (const path of ['/api/v1/vendor/billing/checkout', '/api/v1/vendor/billing/change-tier', '/api/v1/vendor/billing/addons/purchase']) {
      expect({ path, statuses: Object.keys(doc.paths[path].post.responses) }).toEqual({ path, statuses: expect.arrayContaining(['400', '401', '403', '502', '503']) });
    }
    expect(Object.keys(doc.paths['/api/v1/vendor/billing/change-tier'].post.responses)).toEqual(expect.arrayContaining(['404', '409']));
  });

  it('declares every path and query parameter the handlers read', () => {
    const controllers = new Map<string, Type>();
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) if (wrapper.metatype) controllers.set(wrapper.metatype.name, wrapper.metatype as Type);
    }
    const missing: string[] = [];
    for (const { key, path, op } of operations) {
      const declared = (where: string) => new Set((op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name));
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) if (!declared('path').has(name)) missing.push(`${key}: path ${name}`);

      const [controllerName, methodName] = op.operationId.split('_');
      const controller = controllers.get(controllerName);
      if (!controller) {
        missing.push(`${key}: no controller ${controllerName}`);
        continue;
      }
      const args: Record<string, { index: number; data?: string }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {};
      const types: Type[] = Reflect.getMetadata('design:paramtypes', controller.prototype, methodName) ?? [];
      for (const [argKey, { index, data }] of Object.entries(args)) {
        const kind = Number(argKey.split(':')[0]);
        const where = kind === RouteParamtypes.QUERY ? 'query' : kind === RouteParamtypes.PARAM ? 'path' : kind === RouteParamtypes.HEADERS ? 'header' : null;
        if (!where) continue;
        const names = data ? [data] : fieldsOf(types[index]);
        const have = new Set([...declared(where)].map((n) => (where === 'header' ? n.toLowerCase() : n)));
        for (const name of names) if (!have.has(where === 'header' ? name.toLowerCase() : name)) missing.push(`${key}: ${where} ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents the query parameters with their types', () => {
    const query = (path: string) => Object.fromEntries((doc.paths[path].get.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    expect(Object.keys(query('/api/v1/vendor/billing/invoices'))).toEqual(expect.arrayContaining(['limit', 'offset']));
    expect(query('/api/v1/vendor/billing/upcoming-invoice')).toMatchObject({ tier_code: { required: false }, is_annual: { required: false, schema: { type: 'boolean' } } });
    expect(query('/api/v1/admin/platform-health/trends').days).toMatchObject({ required: false, schema: { type: 'integer' } });
    expect(Object.keys(query('/api/v1/admin/webhook-events'))).toEqual(expect.arrayContaining(['status', 'type', 'limit']));
    expect(deref(query('/api/v1/admin/webhook-events').status.schema)).toMatchObject({ enum: ['processing', 'processed', 'failed', 'ignored', 'needs_attention'] });
  });

  it('declares the optional Idempotency-Key once, and no required duplicate', () => {
    for (const { key, op } of operations) {
      const headers = (op.parameters ?? []).filter((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      expect({ key, count: headers.length <= 1, required: headers.some((h) => h.required) }).toEqual({ key, count: true, required: false });
    }
    for (const path of ['/api/v1/vendor/billing/checkout', '/api/v1/vendor/billing/addons/purchase']) {
      expect(doc.paths[path].post.parameters?.filter((p) => p.in === 'header')).toEqual([expect.objectContaining({ name: 'Idempotency-Key', required: false })]);
    }
  });

  it('types every schema property: integers or null for prices, enums for statuses, arrays of known items', () => {
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const [prop, s] of Object.entries(schema.properties ?? {})) {
        const typed = s.$ref || s.allOf || s.oneOf || s.anyOf || (s.type && s.type !== 'object') || (s.type === 'object' && (s.properties || s.additionalProperties));
        if (!typed || (s.type === 'array' && !resolves(s))) untyped.push(`${name}.${prop}`);
      }
    }
    expect(untyped).toEqual([]);
    const tier = doc.components.schemas.TierDto.properties!;
    expect(tier.price_monthly_cents).toMatchObject({ type: 'integer', nullable: true });
    expect(tier.price_annual_cents).toMatchObject({ type: 'integer', nullable: true });
    expect(deref(doc.components.schemas.SubscriptionDto.properties!.status)!.enum).toEqual(['trial', 'active', 'past_due', 'cancelled', 'expired']);
    expect(doc.components.schemas.SubscriptionDto.properties!.usage.$ref).toBe('#/components/schemas/UsageDto');
  });

  it('matches what the routes answer: /subscription and /tiers carry every documented field', async () => {
    const signup = await request(t.http).post('/api/v1/auth/signup').send({ vendor_name: 'Docs', vendor_code: 'docs-shop', email: 'owner@docs.test', password: 'password-123' });
    expect(Object.keys(signup.body).sort()).toEqual(Object.keys(doc.components.schemas.AuthSessionDto.properties!).sort());
    const auth = { Authorization: `Bearer ${signup.body.access_token}` };
    const sub = await request(t.http).get('/api/v1/vendor/billing/subscription').set(auth);
    expect(Object.keys(sub.body).sort()).toEqual(Object.keys(doc.components.schemas.SubscriptionDto.properties!).sort());
    const tiers = await request(t.http).get('/api/v1/vendor/billing/tiers').set(auth);
    expect(Object.keys(tiers.body[0]).sort()).toEqual(Object.keys(doc.components.schemas.TierDto.properties!).sort());
  });
});

/** The fields a query/param DTO validates (class-validator's metadata), inherited ones included. */
function fieldsOf(dto: Type | undefined): string[] {
  if (!dto || (dto as unknown) === Object || (dto as unknown) === String || (dto as unknown) === Number) return [];
  return [...new Set(getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false).map((m) => m.propertyName))];
}
