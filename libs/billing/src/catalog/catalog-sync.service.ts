import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { StripeService, type Stripe } from '@app/stripe';
import { OVERAGE_METER_EVENT_NAME, SubscriptionTier } from '@app/subscription';
import { DataSource } from 'typeorm';
import { AddOnProduct } from '../add-ons/add-on-product.entity.js';

export type CatalogAction = 'created' | 'updated' | 'replaced' | 'reused';

export interface CatalogObject {
  kind: 'product' | 'price' | 'meter';
  key: string;
  id: string;
  action: CatalogAction;
  detail?: string;
}

export interface CatalogSyncResult {
  objects: CatalogObject[];
  created: number;
  updated: number;
  reused: number;
}

interface ProductSpec {
  key: string;
  storedId: string | null;
  name: string;
  description: string;
  metadata: Record<string, string>;
  /** Lookup keys of this product's prices: finds the product again when its id was never stored here. */
  priceKeys: string[];
}

interface PriceSpec {
  key: string;
  product: string;
  unitAmount: number;
  currency: string;
  interval: 'month' | 'year';
  metadata: Record<string, string>;
  /** A metered price on this Billing Meter (usage_type metered): Stripe bills what the meter summed. */
  meter?: string;
}

export const tierPriceLookupKey = (code: string, interval: 'month' | 'year'): string => `tier:${code}:${interval}`;
export const tierOveragePriceLookupKey = (code: string): string => `tier:${code}:overage`;
export const addOnPriceLookupKey = (code: string): string => `addon:${code}`;

const productId = (price: Stripe.Price): string => (typeof price.product === 'string' ? price.product : price.product.id);

/**
 * Makes Stripe's catalog match the tier and add-on rows: one product per tier (a monthly and an annual price) and
 * per add-on (one price), each price found again by its `lookup_key`. A price whose amount, currency or interval
 * changed is replaced (Stripe prices are immutable): a new price takes the lookup key over and the old one is
 * archived; subscribers keep their old price until they change plan. The ids are stored on the rows. Running it
 * again creates nothing.
 */
@Injectable()
export class CatalogSyncService {
  private readonly logger = new Logger(CatalogSyncService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
  ) {}

  async syncCatalog(): Promise<CatalogSyncResult> {
    this.stripe.assertConfigured();
    const objects: CatalogObject[] = [];
    const tiers = await this.dataSource.getRepository(SubscriptionTier).find({ order: { displayOrder: 'ASC', id: 'ASC' } });
    const meter: { id?: string } = {};
    for (const tier of tiers) await this.syncTier(objects, tier, meter);

    const addOns = await this.dataSource.getRepository(AddOnProduct).find({ order: { displayOrder: 'ASC', id: 'ASC' } });
    for (const addOn of addOns) {
      const priceKey = addOnPriceLookupKey(addOn.code);
      const product = await this.ensureProduct(objects, {
        key: `addon:${addOn.code}`,
        storedId: addOn.stripeProductId,
        name: addOn.name,
        description: addOn.description,
        metadata: { catalog_key: `addon:${addOn.code}`, addon_code: addOn.code },
        priceKeys: [priceKey],
      });
      const price = await this.ensurePrice(objects, {
        key: priceKey,
        product,
        unitAmount: addOn.priceCents,
        currency: addOn.currency,
        interval: addOn.billingPeriod,
        metadata: { catalog_key: priceKey, addon_code: addOn.code },
      });
      await this.dataSource.query(`UPDATE add_on_products SET stripe_product_id = $2, stripe_price_id = $3, updated_at = now() WHERE id = $1`, [addOn.id, product, price]);
    }

    const count = (...actions: CatalogAction[]) => objects.filter((o) => actions.includes(o.action)).length;
    const result = { objects, created: count('created'), updated: count('updated', 'replaced'), reused: count('reused') };
    this.logger.log({ created: result.created, updated: result.updated, reused: result.reused, msg: 'Stripe catalog synced' });
    return result;
  }

  /**
   * One tier's product and prices, now (CONTRACT §11: an admin's price change makes the new Stripe price at once when
   * Stripe is configured). The same steps as the whole sync; answers what it did.
   */
  async syncTierPrices(code: string): Promise<CatalogObject[]> {
    this.stripe.assertConfigured();
    const tier = await this.dataSource.getRepository(SubscriptionTier).findOneBy({ code });
    const objects: CatalogObject[] = [];
    if (tier) await this.syncTier(objects, tier, {});
    this.logger.log({ tier_code: code, objects: objects.filter((o) => o.action !== 'reused').map((o) => `${o.action} ${o.key} ${o.id}`), msg: 'Stripe prices of a tier synced' });
    return objects;
  }

  /** A tier's product, its monthly and annual prices, and its overage price; the ids stored on its row. */
  private async syncTier(objects: CatalogObject[], tier: SubscriptionTier, meter: { id?: string }): Promise<void> {
    const intervals = ([['month', tier.priceMonthlyCents], ['year', tier.priceAnnualCents]] as const).filter(([, cents]) => cents !== null);
    if (intervals.length === 0) return; // custom pricing: sold by hand, not through Checkout
    const product = await this.ensureProduct(objects, {
      key: `tier:${tier.code}`,
      storedId: tier.stripeProductId,
      name: `${tier.name} plan`,
      description: tier.description,
      metadata: { catalog_key: `tier:${tier.code}`, tier_code: tier.code },
      priceKeys: intervals.map(([interval]) => tierPriceLookupKey(tier.code, interval)),
    });
    const ids: { month: string | null; year: string | null } = { month: null, year: null };
    for (const [interval, cents] of intervals) {
      ids[interval] = await this.ensurePrice(objects, {
        key: tierPriceLookupKey(tier.code, interval),
        product,
        unitAmount: cents!,
        currency: tier.currency,
        interval,
        metadata: { catalog_key: tierPriceLookupKey(tier.code, interval), tier_code: tier.code, interval },
      });
    }
    // Overage (CONTRACT §12): a monthly metered price on the one overage meter, per order past the limit.
    let overage: string | null = null;
    if (tier.ordersOveragePriceCents !== null) {
      meter.id ??= await this.ensureOverageMeter(objects);
      overage = await this.ensurePrice(objects, {
        key: tierOveragePriceLookupKey(tier.code), product, unitAmount: tier.ordersOveragePriceCents, currency: tier.currency, interval: 'month', meter: meter.id,
        metadata: { catalog_key: tierOveragePriceLookupKey(tier.code), tier_code: tier.code, kind: 'overage' },
      });
    }
    await this.dataSource.query(
      `UPDATE subscription_tiers SET stripe_product_id = $2, stripe_price_monthly_id = $3, stripe_price_annual_id = $4, stripe_overage_price_id = $5, updated_at = now() WHERE id = $1`,
      [tier.id, product, ids.month, ids.year, overage],
    );
  }

  private async ensureProduct(out: CatalogObject[], spec: ProductSpec): Promise<string> {
    const wanted = { name: spec.name, ...(spec.description && { description: spec.description }) };
    let product = spec.storedId ? await this.findProduct(spec.storedId) : null;
    if (!product) {
      const prices = await this.stripe.call('list prices', (s) => s.prices.list({ lookup_keys: spec.priceKeys, limit: 10 }));
      const owner = prices.data[0];
      if (owner) product = await this.findProduct(productId(owner));
    }
    if (!product) {
      const created = await this.stripe.call('create a product', (s) =>
        s.products.create({ ...wanted, metadata: spec.metadata }, { idempotencyKey: `catalog:product:${spec.key}` }),
      );
      out.push({ kind: 'product', key: spec.key, id: created.id, action: 'created' });
      return created.id;
    }
    const stale = product.name !== spec.name || (product.description ?? '') !== spec.description || !product.active;
    if (stale) {
      const id = product.id;
      await this.stripe.call('update a product', (s) =>
        s.products.update(id, { ...wanted, active: true, metadata: spec.metadata }, { idempotencyKey: `catalog:product-update:${id}:${hashOf(JSON.stringify(wanted))}` }),
      );
    }
    out.push({ kind: 'product', key: spec.key, id: product.id, action: stale ? 'updated' : 'reused' });
    return product.id;
  }

  private async ensurePrice(out: CatalogObject[], spec: PriceSpec): Promise<string> {
    const found = await this.stripe.call('list prices', (s) => s.prices.list({ lookup_keys: [spec.key], limit: 1 }));
    const existing = found.data[0];
    if (
      existing &&
      existing.active &&
      existing.unit_amount === spec.unitAmount &&
      existing.currency === spec.currency &&
      existing.recurring?.interval === spec.interval &&
      (existing.recurring?.meter ?? undefined) === spec.meter &&
      productId(existing) === spec.product
    ) {
      out.push({ kind: 'price', key: spec.key, id: existing.id, action: 'reused' });
      return existing.id;
    }
    // The key names what replaces what, so A → B → A within Stripe's 24 h key window still makes a third price.
    const idempotencyKey = `catalog:price:${spec.key}:${spec.unitAmount}:${spec.currency}:${spec.interval}:${spec.product}:${spec.meter ?? 'licensed'}:replaces:${existing?.id ?? 'none'}`;
    const price = await this.stripe.call('create a price', (s) =>
      s.prices.create(
        {
          product: spec.product,
          unit_amount: spec.unitAmount,
          currency: spec.currency,
          recurring: spec.meter ? { interval: spec.interval, usage_type: 'metered', meter: spec.meter } : { interval: spec.interval },
          lookup_key: spec.key,
          transfer_lookup_key: existing !== undefined,
          metadata: spec.metadata,
        },
        { idempotencyKey },
      ),
    );
    if (existing?.active) {
      const oldId = existing.id;
      await this.stripe.call('archive a price', (s) => s.prices.update(oldId, { active: false }, { idempotencyKey: `catalog:price-archive:${oldId}` }));
    }
    const detail = existing ? `replaces ${existing.id} (${existing.unit_amount} ${existing.currency}/${existing.recurring?.interval ?? '-'})` : undefined;
    out.push({ kind: 'price', key: spec.key, id: price.id, action: existing ? 'replaced' : 'created', ...(detail && { detail }) });
    return price.id;
  }

  /**
   * The Billing Meter of overage orders: the active meter with our event name, else a new one (sum of `value` per
   * `stripe_customer_id`). Found again by its event name, which Stripe keeps unique among active meters.
   */
  private async ensureOverageMeter(out: CatalogObject[]): Promise<string> {
    const meters = await this.stripe.call('list meters', (s) => s.billing.meters.list({ status: 'active', limit: 100 }));
    const found = meters.data.find((m) => m.event_name === OVERAGE_METER_EVENT_NAME);
    if (found) {
      out.push({ kind: 'meter', key: OVERAGE_METER_EVENT_NAME, id: found.id, action: 'reused' });
      return found.id;
    }
    const meter = await this.stripe.call('create a meter', (s) => s.billing.meters.create({
      display_name: 'Overage orders', event_name: OVERAGE_METER_EVENT_NAME, default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' }, value_settings: { event_payload_key: 'value' },
    }, { idempotencyKey: `catalog:meter:${OVERAGE_METER_EVENT_NAME}` }));
    out.push({ kind: 'meter', key: OVERAGE_METER_EVENT_NAME, id: meter.id, action: 'created' });
    return meter.id;
  }

  /** A product by id, or null when Stripe does not know it (or it was deleted). */
  private async findProduct(id: string): Promise<Stripe.Product | null> {
    const product = await this.stripe.call('read a product', async (s) => {
      try {
        return await s.products.retrieve(id);
      } catch (error) {
        if ((error as { code?: string }).code === 'resource_missing') return null;
        throw error;
      }
    });
    return product && !(product as unknown as { deleted?: boolean }).deleted ? product : null;
  }
}

const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);
