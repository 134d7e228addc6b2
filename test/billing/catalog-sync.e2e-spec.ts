import { CatalogSyncService } from '@app/billing';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { runSyncCatalog } from '../../apps/worker/src/sync-catalog.js';

describe('billing: Stripe catalog sync', () => {
  const { t, double } = useStripeTestApp();
  let sync: CatalogSyncService;

  beforeAll(async () => {
    sync = t.app.get(CatalogSyncService);
  });

  const writes = (from: number) => double.requests.slice(from).filter((r) => r.method !== 'GET');

  it('creates a product per priced tier and add-on, a price per interval, found by lookup key, and stores the ids', async () => {
    const result = await sync.syncCatalog();

    // essential, professional, business (enterprise has custom pricing) and the five add-ons
    expect(result).toMatchObject({ created: 8 + 11, updated: 0, reused: 0 });
    expect(double.state.products.size).toBe(8);
    expect(double.state.prices.size).toBe(11);
    const tiers: Array<Record<string, string | null>> = await t.db.query(`SELECT code, stripe_product_id, stripe_price_monthly_id, stripe_price_annual_id FROM subscription_tiers ORDER BY display_order`);
    const essential = tiers.find((r) => r.code === 'essential')!;
    const monthly = double.state.prices.get(essential.stripe_price_monthly_id!)!;
    expect(monthly).toMatchObject({ lookup_key: 'tier:essential:month', unit_amount: 4900, currency: 'eur', product: essential.stripe_product_id, recurring: { interval: 'month' } });
    expect(double.state.prices.get(essential.stripe_price_annual_id!)).toMatchObject({ lookup_key: 'tier:essential:year', unit_amount: 49000, recurring: { interval: 'year' } });
    expect(double.state.products.get(essential.stripe_product_id!)).toMatchObject({ name: 'Essential plan', metadata: { tier_code: 'essential' } });
    expect(tiers.find((r) => r.code === 'enterprise')).toMatchObject({ stripe_product_id: null, stripe_price_monthly_id: null });
    const [domain] = await t.db.query(`SELECT stripe_product_id, stripe_price_id FROM add_on_products WHERE code = 'domain'`);
    expect(double.state.prices.get(domain.stripe_price_id)).toMatchObject({ lookup_key: 'addon:domain', unit_amount: 1500, recurring: { interval: 'year' }, product: domain.stripe_product_id });

    const keys = double.requests.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey);
    expect(keys).toContain('catalog:product:tier:essential');
    expect(keys.every((k) => k !== null)).toBe(true);
  });

  it('creates nothing when run again', async () => {
    const from = double.requests.length;
    const result = await sync.syncCatalog();
    expect(result).toMatchObject({ created: 0, updated: 0, reused: 19 });
    expect(writes(from)).toHaveLength(0);
    expect(double.state.products.size).toBe(8);
    expect(double.state.prices.size).toBe(11);
  });

  it('finds the objects again by lookup key when the ids were never stored here (a fresh database)', async () => {
    await t.db.query(`UPDATE subscription_tiers SET stripe_product_id = NULL, stripe_price_monthly_id = NULL, stripe_price_annual_id = NULL`);
    await t.db.query(`UPDATE add_on_products SET stripe_product_id = NULL, stripe_price_id = NULL`);
    const from = double.requests.length;
    const result = await sync.syncCatalog();
    expect(result.created).toBe(0);
    expect(writes(from)).toHaveLength(0);
    const [{ missing }] = await t.db.query(`SELECT count(*)::int AS missing FROM add_on_products WHERE stripe_price_id IS NULL`);
    expect(missing).toBe(0);
  });

  it('replaces a price whose amount changed: the new one takes the lookup key, the old one is archived', async () => {
    const [before] = await t.db.query(`SELECT stripe_price_monthly_id FROM subscription_tiers WHERE code = 'professional'`);
    await t.db.query(`UPDATE subscription_tiers SET price_monthly_cents = 10900 WHERE code = 'professional'`);
    await t.db.query(`UPDATE add_on_products SET name = 'Custom domain name' WHERE code = 'domain'`);
    const from = double.requests.length;

    const result = await sync.syncCatalog();

    expect(result).toMatchObject({ created: 0, updated: 2, reused: 17 });
    const [after] = await t.db.query(`SELECT stripe_price_monthly_id FROM subscription_tiers WHERE code = 'professional'`);
    expect(after.stripe_price_monthly_id).not.toBe(before.stripe_price_monthly_id);
    expect(double.state.prices.get(after.stripe_price_monthly_id)).toMatchObject({ unit_amount: 10900, lookup_key: 'tier:professional:month', active: true });
    expect(double.state.prices.get(before.stripe_price_monthly_id)).toMatchObject({ active: false, lookup_key: null });
    const [created] = writes(from).filter((r) => r.path === '/v1/prices');
    expect(created.params).toMatchObject({ lookup_key: 'tier:professional:month', transfer_lookup_key: 'true', unit_amount: '10900' });
    const [domain] = await t.db.query(`SELECT stripe_product_id FROM add_on_products WHERE code = 'domain'`);
    expect(double.state.products.get(domain.stripe_product_id)!.name).toBe('Custom domain name');

    expect((await sync.syncCatalog()).created + (await sync.syncCatalog()).updated).toBe(0);
  });

  it('npm run stripe:sync-catalog prints what it did and exits 0; without STRIPE_SECRET_KEY it exits 1 saying so', async () => {
    const lines: string[] = [];
    const code = await runSyncCatalog({ logger: false, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('Stripe catalog in sync: 0 created, 0 updated, 19 reused.');
    expect(lines).toContainEqual(expect.stringMatching(/^reused\s+price\s+tier:essential:month\s+price_/));

    const errors: string[] = [];
    const noKey = await runSyncCatalog({ env: { DATABASE_URL: t.databaseUrl }, logger: false, out: (l) => errors.push(l), err: (l) => errors.push(l) });
    expect(noKey).toBe(1);
    expect(errors).toEqual([expect.stringContaining('STRIPE_SECRET_KEY is not set')]);
  });

  it('answers 502 and stores nothing new when Stripe fails midway', async () => {
    await t.db.query(`UPDATE subscription_tiers SET price_annual_cents = 119000 WHERE code = 'business'`);
    const [before] = await t.db.query(`SELECT stripe_price_annual_id FROM subscription_tiers WHERE code = 'business'`);
    double.failNext({ method: 'POST', path: '/v1/prices', status: 500, times: 3 });
    await expect(sync.syncCatalog()).rejects.toMatchObject({ code: 'PAYMENT_PROVIDER_ERROR' });
    const [after] = await t.db.query(`SELECT stripe_price_annual_id FROM subscription_tiers WHERE code = 'business'`);
    expect(after.stripe_price_annual_id).toBe(before.stripe_price_annual_id);
    expect((await sync.syncCatalog()).updated).toBe(1);
  });
});
