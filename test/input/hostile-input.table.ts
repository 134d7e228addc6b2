/**
 * The hostile-input table: every route of CONTRACT §3–7 that takes a body, a query or a path value, what a valid
 * request to it looks like, and the kind of each field, so each hostile value is sent where it is invalid.
 */
export type FieldKind = 'text' | 'code' | 'email' | 'int' | 'bool' | 'list';
export type Caller = 'anyone' | 'owner' | 'admin';

export interface BodyRoute {
  method: 'post' | 'patch';
  path: string;
  as: Caller;
  /** A body that passes validation (each case replaces one field of it). */
  valid: Record<string, unknown>;
  fields: Record<string, FieldKind>;
  /** Fields where `null` is a value with a meaning (e.g. unlimited). */
  nullable?: string[];
  /** Hostile labels that are valid for a field (e.g. -1 for display_order). */
  allowed?: Record<string, string[]>;
}

export interface QueryRoute {
  path: string;
  as: Caller;
  params: Record<string, 'int' | 'text' | 'bool' | 'code'>;
}

export interface PathRoute {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** `{}` marks the path value. */
  path: string;
  as: Caller;
  kind: 'id' | 'code';
}

const HUGE = 'x'.repeat(100_000);

/** [label, value]: sent in place of one field; each kind skips the ones it accepts. */
export const HOSTILE: Array<[string, unknown, FieldKind[]]> = [
  ['NUL', 'a\u0000b', ['text', 'code', 'email', 'int', 'bool']],
  ['lone surrogate', '\ud800x', ['text', 'code', 'email', 'int', 'bool']],
  ['null', null, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['wrong type: number', 12, ['text', 'code', 'email', 'bool', 'list']],
  ['wrong type: "12"', '12', ['email', 'int', 'bool', 'list']],
  ['wrong type: true', true, ['text', 'code', 'email', 'int', 'list']],
  ['wrong type: object', { a: 1 }, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['wrong type: array', ['a'], ['text', 'code', 'email', 'int', 'bool']],
  ['1e308', 1e308, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['-1', -1, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['1.5', 1.5, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['100,000 characters', HUGE, ['text', 'code', 'email', 'int', 'bool', 'list']],
  ['NUL in a list', ['a\u0000b'], ['list']],
];

const TIER_FIELDS: Record<string, FieldKind> = {
  name: 'text', description: 'text', price_monthly_cents: 'int', price_annual_cents: 'int', currency: 'code',
  features: 'list', stripe_product_id: 'text', stripe_price_monthly_id: 'text', stripe_price_annual_id: 'text',
  display_order: 'int', is_active: 'bool', products_limit: 'int', orders_per_month: 'int', team_members: 'int',
};
const TIER_NULLABLE = ['price_monthly_cents', 'price_annual_cents', 'stripe_product_id', 'stripe_price_monthly_id', 'stripe_price_annual_id', 'products_limit', 'orders_per_month', 'team_members'];

export const BODY_ROUTES: BodyRoute[] = [
  { method: 'post', path: '/api/v1/auth/signup', as: 'anyone', valid: { vendor_name: 'Hostile', vendor_code: 'hostile-shop', email: 'hostile@shop.test', password: 'password-123' }, fields: { vendor_name: 'text', vendor_code: 'code', email: 'email', password: 'text' } },
  { method: 'post', path: '/api/v1/auth/login', as: 'anyone', valid: { email: 'hostile@shop.test', password: 'password-123' }, fields: { email: 'email', password: 'text' } },
  { method: 'post', path: '/api/v1/vendor/products', as: 'owner', valid: { name: 'Mug', price_cents: 100, sku: 'MUG-1' }, fields: { name: 'text', price_cents: 'int', sku: 'text' } },
  { method: 'post', path: '/api/v1/vendor/orders', as: 'owner', valid: { total_cents: 100, customer_email: 'buyer@shop.test' }, fields: { total_cents: 'int', customer_email: 'email' } },
  { method: 'post', path: '/api/v1/vendor/team', as: 'owner', valid: { email: 'clerk@shop.test', password: 'password-123' }, fields: { email: 'email', password: 'text' } },
  { method: 'post', path: '/api/v1/vendor/billing/checkout', as: 'owner', valid: { tier_code: 'professional', is_annual: false }, fields: { tier_code: 'code', is_annual: 'bool' } },
  { method: 'post', path: '/api/v1/vendor/billing/portal', as: 'owner', valid: {}, fields: {} },
  { method: 'post', path: '/api/v1/vendor/billing/change-tier', as: 'owner', valid: { tier_code: 'business', is_annual: false, proration_date: 1_800_000_000 }, fields: { tier_code: 'code', is_annual: 'bool', proration_date: 'int' } },
  { method: 'post', path: '/api/v1/vendor/billing/sync', as: 'owner', valid: {}, fields: {} },
  { method: 'post', path: '/api/v1/vendor/billing/addons/purchase', as: 'owner', valid: { addon_code: 'domain', domain_name: 'shop.example.com', quantity: 1 }, fields: { addon_code: 'code', domain_name: 'text', quantity: 'int' } },
  { method: 'post', path: '/api/v1/vendor/billing/cancel', as: 'owner', valid: { reason: 'too dear', immediately: false }, fields: { reason: 'text', immediately: 'bool' } },
  { method: 'post', path: '/api/v1/vendor/billing/reactivate', as: 'owner', valid: {}, fields: {} },
  {
    method: 'post', path: '/api/v1/admin/subscription-tiers', as: 'admin',
    valid: { code: 'hostile-tier', name: 'Hostile', products_limit: 1, orders_per_month: 1, team_members: 1 },
    fields: { code: 'code', ...TIER_FIELDS }, nullable: TIER_NULLABLE, allowed: { display_order: ['-1'] },
  },
  { method: 'patch', path: '/api/v1/admin/subscription-tiers/essential', as: 'admin', valid: {}, fields: TIER_FIELDS, nullable: TIER_NULLABLE, allowed: { display_order: ['-1'] } },
  {
    method: 'post', path: '/api/v1/admin/price-migrations', as: 'admin', valid: { tier_code: 'professional', is_annual: false, notice_days: 30, dry_run: true },
    fields: { tier_code: 'code', is_annual: 'bool', notice_days: 'int', dry_run: 'bool' },
  },
];

export const QUERY_ROUTES: QueryRoute[] = [
  { path: '/api/v1/vendor/products', as: 'owner', params: { limit: 'int', offset: 'int' } },
  { path: '/api/v1/vendor/orders', as: 'owner', params: { limit: 'int', offset: 'int' } },
  { path: '/api/v1/vendor/billing/invoices', as: 'owner', params: { limit: 'int', offset: 'int' } },
  { path: '/api/v1/vendor/billing/upcoming-invoice', as: 'owner', params: { tier_code: 'code', is_annual: 'bool' } },
  { path: '/api/v1/admin/platform-health/trends', as: 'admin', params: { days: 'int' } },
  { path: '/api/v1/admin/jobs', as: 'admin', params: { limit: 'int' } },
  { path: '/api/v1/admin/webhook-events', as: 'admin', params: { status: 'code', type: 'text', limit: 'int' } },
];

/** Raw query text per kind: each is invalid for it. */
export const HOSTILE_QUERY: Array<[string, string, Array<QueryRoute['params'][string]>]> = [
  ['NUL', '%00', ['int', 'text', 'bool', 'code']],
  // Query text is decoded leniently (an invalid UTF-8 sequence becomes U+FFFD), so a lone surrogate cannot arrive
  // through a query string; it is hostile only where U+FFFD is invalid too.
  ['lone surrogate', '%ED%A0%80', ['int', 'bool', 'code']],
  ['NUL inside', 'a%00b', ['int', 'text', 'bool', 'code']],
  ['1e308', '1e308', ['int', 'bool']],
  ['-1', '-1', ['int', 'bool']],
  ['1.5', '1.5', ['int', 'bool', 'code']],
  ['text', 'abc', ['int', 'bool']],
  // Node refuses a request line over 16 KB (431, before the app): 6,000 characters is the longest the app sees.
  ['6,000 characters', 'x'.repeat(6_000), ['int', 'text', 'bool', 'code']],
];

export const PATH_ROUTES: PathRoute[] = [
  { method: 'delete', path: '/api/v1/vendor/products/{}', as: 'owner', kind: 'id' },
  { method: 'delete', path: '/api/v1/vendor/team/{}', as: 'owner', kind: 'id' },
  { method: 'delete', path: '/api/v1/vendor/billing/addons/{}', as: 'owner', kind: 'id' },
  { method: 'get', path: '/api/v1/admin/subscription-tiers/{}', as: 'admin', kind: 'code' },
  { method: 'patch', path: '/api/v1/admin/subscription-tiers/{}', as: 'admin', kind: 'code' },
  { method: 'post', path: '/api/v1/admin/webhook-events/{}/replay', as: 'admin', kind: 'code' },
  { method: 'get', path: '/api/v1/admin/price-migrations/{}', as: 'admin', kind: 'id' },
];

/** Path values (already URL-encoded) for an existing id N: each one reads loosely as N, and must be refused. */
export const hostileIds = (n: number): string[] => [
  `0x${n.toString(16)}`, `%20${n}`, `${n}%20`, `%2B${n}`, `0${n}`, `${n}.0`, `${n / 10}e1`, `${n}e0`, `-${n}`, '0', '2147483648',
  '99999999999', '%00', `${n}%00`, '%ED%A0%80', 'abc', '1'.repeat(5_000),
];
export const HOSTILE_CODES = ['%00', 'essential%00', '%ED%A0%80', '%C0%80', 'x'.repeat(5_000)];
