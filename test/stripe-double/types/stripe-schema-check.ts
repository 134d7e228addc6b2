import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/*
 * Validates Stripe objects against JSON schemas derived from the `stripe` package's type declarations
 * (stripe-objects.schema.json, made by `npm run stripe:schemas`): a property without `?` is required, `| null` is
 * nullable, and an enum value the SDK does not list is a warning (Stripe's enums are open), not a failure.
 */

interface SchemaFile {
  stripeVersion: string;
  roots: string[];
  definitions: Record<string, unknown>;
}

const SCHEMA = JSON.parse(readFileSync(new URL('./stripe-objects.schema.json', import.meta.url), 'utf8')) as SchemaFile;

/** The root schema of each `object` the double answers with. */
const ROOT_OF: Record<string, string> = {
  customer: 'StripeCustomer', product: 'StripeProduct', price: 'StripePrice', subscription: 'StripeSubscription', subscription_item: 'StripeSubscriptionItem',
  invoice: 'StripeInvoice', line_item: 'StripeInvoiceLineItem', item: 'StripeCheckoutLineItem', 'checkout.session': 'StripeCheckoutSession',
  'billing_portal.session': 'StripePortalSession', event: 'StripeEvent', 'billing.meter': 'StripeBillingMeter', 'billing.meter_event': 'StripeBillingMeterEvent',
  subscription_schedule: 'StripeSubscriptionSchedule',
};
const DELETED_ROOT_OF: Record<string, string> = { customer: 'StripeDeletedCustomer', product: 'StripeDeletedProduct' };

export interface CheckReport {
  /** Missing required fields, wrong types: each `label: path message`. */
  failures: string[];
  /** Values of an open enum the SDK does not list. */
  warnings: string[];
  /** How many objects were validated, by `object`. */
  counts: Record<string, number>;
}

/** Enum values outside the SDK's lists, seen by the validation running now. */
let pendingWarnings: string[] = [];
let shared: { ajv: Ajv; validators: Map<string, ValidateFunction> } | null = null;

/** One compiled schema per process (compiling it takes seconds): the validators are shared by every check. */
function compiled(): { ajv: Ajv; validators: Map<string, ValidateFunction> } {
  if (shared) return shared;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
  ajv.addKeyword({
    keyword: 'x-stripe-enum',
    schemaType: 'array',
    errors: false,
    validate(known: string[], data: unknown, _schema?: unknown, ctx?: { instancePath: string }) {
      if (typeof data === 'string' && !known.includes(data)) pendingWarnings.push(`${ctx?.instancePath ?? ''} = '${data}' (known: ${known.join(', ')})`);
      return true;
    },
  });
  ajv.addKeyword({ keyword: 'x-stub' });
  ajv.addSchema({ $id: 'stripe', definitions: SCHEMA.definitions });
  shared = { ajv, validators: new Map() };
  return shared;
}

export class StripeSchemaCheck {
  readonly stripeVersion = SCHEMA.stripeVersion;
  readonly report: CheckReport = { failures: [], warnings: [], counts: {} };

  private validator(root: string): ValidateFunction {
    const { ajv, validators } = compiled();
    let v = validators.get(root);
    if (!v) {
      v = ajv.compile({ $ref: `stripe#/definitions/${root}` });
      validators.set(root, v);
    }
    return v;
  }

  /** Validates `value` (an object, a list, a search result or an event and its object) and records what is wrong. */
  check(label: string, value: unknown): void {
    if (!value || typeof value !== 'object') return;
    const object = (value as { object?: unknown }).object;
    if (object === 'list' || object === 'search_result') {
      const data = (value as { data?: unknown }).data;
      if (!Array.isArray(data)) this.report.failures.push(`${label}: a ${object} without data[]`);
      else data.forEach((item, i) => this.check(`${label}.data[${i}]`, item));
      return;
    }
    if (typeof object !== 'string' || !(object in ROOT_OF)) {
      this.report.failures.push(`${label}: no schema for object '${String(object)}'`);
      return;
    }
    const root = (value as { deleted?: unknown }).deleted === true ? DELETED_ROOT_OF[object] : ROOT_OF[object];
    this.report.counts[object] = (this.report.counts[object] ?? 0) + 1;
    pendingWarnings = [];
    const validate = this.validator(root);
    if (!validate(value)) this.report.failures.push(...relevantErrors(validate.errors ?? []).map((e) => `${label} (${root}): ${e.instancePath || '/'} ${e.message}${paramsOf(e)}`));
    this.report.warnings.push(...[...new Set(pendingWarnings)].map((w) => `${label} (${root}): ${w}`));
    if (object === 'event') this.check(`${label}.data.object`, (value as { data: { object: unknown } }).data.object);
  }

  /** Validates a JSON answer of the double. */
  checkAnswer(label: string, body: string): void {
    this.check(label, JSON.parse(body));
  }
}

/**
 * The errors that say what is wrong, without the noise of a union: where a value matched none of an `anyOf`'s
 * branches (`string | Customer | null`), only the branch errors deepest in the object are kept.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const rest = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'not');
  const deepest = new Map<string, ErrorObject>();
  for (const e of rest) {
    const union = unions.find((u) => e.instancePath === u.instancePath && e.keyword === 'type');
    if (union) continue; // "must be string" / "must be null" for a union member that is an object: the branch's own errors say why
    deepest.set(`${e.instancePath} ${e.message}${paramsOf(e)}`, e);
  }
  const out = [...deepest.values()];
  // A union that failed with no deeper error (every branch a type mismatch) is itself the failure.
  for (const u of unions) if (!out.some((e) => e.instancePath.startsWith(u.instancePath))) out.push(u);
  return out;
}

function paramsOf(e: ErrorObject): string {
  if (e.keyword === 'required') return '';
  if (e.keyword === 'type') return ` (got ${JSON.stringify(e.data)?.slice(0, 60)})`;
  return '';
}
