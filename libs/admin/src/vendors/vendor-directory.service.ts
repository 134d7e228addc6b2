import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AddOnService, InvoiceService, WebhookEventAdminService } from '@app/billing';
import { NotFoundError } from '@app/common';
import { SubscriptionService, TierService, usageMeter, type SubscriptionView, type UsageMeter } from '@app/subscription';
import { DataSource } from 'typeorm';
import { AdminAuditService } from '../audit/admin-audit.service.js';

export interface VendorSearch {
  q?: string;
  status?: string;
  tierCode?: string;
  limit: number;
  offset: number;
}

export interface VendorListItem {
  id: number;
  code: string;
  name: string;
  owner_email: string | null;
  is_active: boolean;
  tier_code: string | null;
  status: string | null;
  usage: { products: UsageMeter; orders: UsageMeter; team_members: UsageMeter } | null;
  created_at: string;
}

interface VendorRow {
  id: number;
  code: string;
  name: string;
  owner_email: string | null;
  is_active: boolean;
  created_at: Date;
  updated_at?: Date;
  tier_code: string | null;
  status: string | null;
  products_count: number | null;
  orders_this_period: number | null;
  team_members_count: number | null;
  stripe_customer_id?: string | null;
  stripe_subscription_id?: string | null;
}

/** `%` and `_` in a search are literal characters, not wildcards. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const FILTER = `($1::text IS NULL OR v.code ILIKE $1 OR v.name ILIKE $1 OR u.email ILIKE $1)
   AND ($2::text IS NULL OR s.status = $2)
   AND ($3::text IS NULL OR s.tier_code = $3)`;
const FROM = `vendors v
  LEFT JOIN vendor_subscriptions s ON s.vendor_id = v.id
  LEFT JOIN users u ON u.vendor_id = v.id AND u.is_owner`;

/**
 * The admin's read model of vendors: search, and one vendor's billing in one place. It reads across the
 * platform's and the subscription lib's tables in one statement (paging needs the filters together); every
 * write goes through the owning lib (VendorAdminService).
 */
@Injectable()
export class VendorDirectoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tiers: TierService,
    private readonly subscriptions: SubscriptionService,
    private readonly addOns: AddOnService,
    private readonly invoices: InvoiceService,
    private readonly webhookEvents: WebhookEventAdminService,
    private readonly audit: AdminAuditService,
  ) {}

  /** Newest first; `q` matches code, name or the owner's e-mail anywhere, case-insensitively. */
  async search(filter: VendorSearch): Promise<{ items: VendorListItem[]; total: number }> {
    const params = [filter.q ? likePattern(filter.q) : null, filter.status ?? null, filter.tierCode ?? null];
    const [rows, [count]] = await Promise.all([
      this.dataSource.query<VendorRow[]>(
        `SELECT v.id, v.code, v.name, v.is_active, v.created_at, u.email AS owner_email,
                s.tier_code, s.status, s.products_count, s.orders_this_period, s.team_members_count
           FROM ${FROM}
          WHERE ${FILTER}
          ORDER BY v.created_at DESC, v.id DESC
          LIMIT $4 OFFSET $5`,
        [...params, filter.limit, filter.offset],
      ),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM ${FROM} WHERE ${FILTER}`, params),
    ]);
    return { items: await this.toListItems(rows), total: count.total };
  }

  /** The vendor, its /subscription body, add-ons, recent invoices, Stripe events and admin actions. */
  async getVendorDetail(vendorId: number) {
    const [row] = await this.dataSource.query<VendorRow[]>(
      `SELECT v.id, v.code, v.name, v.is_active, v.created_at, v.updated_at, u.email AS owner_email,
              s.tier_code, s.status, s.products_count, s.orders_this_period, s.team_members_count,
              s.stripe_customer_id, s.stripe_subscription_id
         FROM ${FROM}
        WHERE v.id = $1`,
      [vendorId],
    );
    if (!row) throw new NotFoundError('Vendor');
    const [subscription, addOns, invoices, stripeEvents, audit] = await Promise.all([
      row.status === null ? Promise.resolve<SubscriptionView | null>(null) : this.subscriptions.getSubscriptionView(vendorId),
      this.addOns.listVendorAddOns(vendorId),
      this.invoices.listInvoices(vendorId, { limit: 10, offset: 0 }),
      row.stripe_customer_id ? this.webhookEvents.listEventsForCustomer(row.stripe_customer_id, 20) : Promise.resolve([]),
      this.audit.listForVendor(vendorId, 20),
    ]);
    return {
      vendor: {
        id: row.id, code: row.code, name: row.name, owner_email: row.owner_email, is_active: row.is_active,
        created_at: new Date(row.created_at).toISOString(), updated_at: row.updated_at ? new Date(row.updated_at).toISOString() : null,
        stripe_customer_id: row.stripe_customer_id ?? null, stripe_subscription_id: row.stripe_subscription_id ?? null,
      },
      subscription,
      add_ons: addOns,
      invoices: invoices.invoices,
      invoices_total: invoices.total,
      stripe_events: stripeEvents,
      // The platform-events outbox (issue 11) has not landed yet: the console shows "not available".
      platform_events: { available: false, items: [] as unknown[] },
      audit,
    };
  }

  private async toListItems(rows: VendorRow[]): Promise<VendorListItem[]> {
    const codes = [...new Set(rows.map((r) => r.tier_code).filter((c): c is string => c !== null))];
    const tiers = new Map(await Promise.all(codes.map(async (c) => [c, await this.tiers.findTier(c)] as const)));
    return rows.map((r) => {
      const tier = r.tier_code === null ? null : tiers.get(r.tier_code) ?? null;
      return {
        id: r.id, code: r.code, name: r.name, owner_email: r.owner_email, is_active: r.is_active, tier_code: r.tier_code, status: r.status,
        usage: r.status === null ? null : {
          products: usageMeter(r.products_count ?? 0, tier ? tier.productsLimit : 0),
          orders: usageMeter(r.orders_this_period ?? 0, tier ? tier.ordersPerMonth : 0),
          team_members: usageMeter(r.team_members_count ?? 0, tier ? tier.teamMembers : 0),
        },
        created_at: new Date(r.created_at).toISOString(),
      };
    });
  }
}
