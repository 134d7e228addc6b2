import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import type { AddParam } from '@app/database';
import { LimitService } from '@app/subscription';
import { DataSource } from 'typeorm';
import type { Page } from '../products/product.service.js';

export interface OrderView {
  id: number;
  total_cents: number;
  currency: string;
  customer_email: string | null;
  created_at: string;
  /** Accepted past the tier's limit, billed as overage (CONTRACT §12). */
  overage: boolean;
}

export interface CreateOrderInput {
  totalCents: number;
  customerEmail?: string | null;
}

const COLUMNS = `id, total_cents, currency, customer_email, created_at, overage`;
/** pg answers an `int8` as a string: a column widened to bigint by a migration still answers a number (CONTRACT §5 "Deploys"). */
type Integer = number | string;
const view = (r: { id: Integer; total_cents: Integer; currency: string; customer_email: string | null; created_at: Date; overage: boolean }): OrderView => ({
  id: Number(r.id), total_cents: Number(r.total_cents), currency: r.currency, customer_email: r.customer_email, created_at: r.created_at.toISOString(),
  overage: r.overage,
});

/** A vendor's orders; each one counts toward orders_this_period. */
@Injectable()
export class OrderService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly limits: LimitService,
    private readonly clock: Clock,
  ) {}

  /** The hot path: one statement, the conditional UPDATE of the claim and the INSERT. created_at comes from the Clock, like the period. */
  async create(vendorId: number, input: CreateOrderInput): Promise<OrderView> {
    const row = await this.limits.claimAndInsert<Parameters<typeof view>[0]>(vendorId, 'orders', this.insertSql(input));
    return view(row);
  }

  /**
   * The order's INSERT for the claim's statement (`claimed`: the order claim's CTE, with `overage`; see
   * LimitService.claimAndInsert).
   */
  insertSql(input: CreateOrderInput): (claimed: string, add: AddParam) => string {
    return (claimed, add) => `INSERT INTO orders (vendor_id, total_cents, customer_email, created_at, overage)
       SELECT vendor_id, ${add(input.totalCents, 'int', 'total_cents')}, ${add(input.customerEmail?.toLowerCase() ?? null, 'varchar', 'customer_email')}, ${add(this.clock.now(), 'timestamptz', 'now')}, overage FROM ${claimed}
       RETURNING ${COLUMNS}`;
  }

  async list(vendorId: number, page: Page): Promise<{ items: OrderView[]; total: number }> {
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query(`SELECT ${COLUMNS} FROM orders WHERE vendor_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [vendorId, page.limit, page.offset]),
      this.dataSource.query(`SELECT count(*)::int AS total FROM orders WHERE vendor_id = $1`, [vendorId]),
    ]);
    return { items: rows.map(view), total };
  }
}
