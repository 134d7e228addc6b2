import type { Param, Params } from './form-parser.js';

/** A Stripe-shaped API error; the server turns it into `{ error: { type, code, message, param } }`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export function missing(kind: string, id: string, param = 'id'): StripeApiError {
  return new StripeApiError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', param);
}

export function invalid(message: string, param?: string, code = 'parameter_invalid'): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', message, code, param);
}

export function str(p: Params, key: string): string | undefined {
  const v = p[key];
  return typeof v === 'string' ? v : undefined;
}

export function required(p: Params, key: string): string {
  const v = str(p, key);
  if (v === undefined || v === '') throw invalid(`Missing required param: ${key}.`, key, 'parameter_missing');
  return v;
}

export function num(p: Params, key: string): number | undefined {
  const v = str(p, key);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw invalid(`Invalid integer: ${v}`, key);
  return n;
}

export function bool(p: Params, key: string): boolean | undefined {
  const v = str(p, key);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalid(`Invalid boolean: ${v}`, key);
}

export function obj(p: Params, key: string): Params | undefined {
  const v = p[key];
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

export function arr(p: Params, key: string): Param[] {
  const v = p[key];
  if (v === undefined || v === '') return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  return Object.values(v);
}

export function strings(p: Params, key: string): string[] {
  return arr(p, key).filter((v): v is string => typeof v === 'string');
}

export function objects(p: Params, key: string): Params[] {
  return arr(p, key).filter((v): v is Params => typeof v === 'object' && !Array.isArray(v));
}

/** Stripe's metadata update: keys merge, an empty string removes a key, `metadata=` clears everything. */
export function applyMetadata(current: Record<string, string>, p: Params, key = 'metadata'): Record<string, string> {
  const v = p[key];
  if (v === undefined) return current;
  if (v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('Invalid metadata', key);
  const next = { ...current };
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') throw invalid('Metadata values must be strings', `${key}[${k}]`);
    if (value === '') delete next[k];
    else next[k] = value;
  }
  return next;
}

/** `created[gte]=…` / `created=…` range filter. */
export function matchesRange(value: number, p: Params, key: string): boolean {
  const v = p[key];
  if (v === undefined) return true;
  if (typeof v === 'string') return value === Number(v);
  if (Array.isArray(v)) return true;
  const n = (k: string) => (typeof v[k] === 'string' ? Number(v[k]) : undefined);
  const [gt, gte, lt, lte] = [n('gt'), n('gte'), n('lt'), n('lte')];
  return (gt === undefined || value > gt) && (gte === undefined || value >= gte) && (lt === undefined || value < lt) && (lte === undefined || value <= lte);
}
