import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NotFoundError } from '@app/common';
import { DataSource } from 'typeorm';

export interface AnalyticsSummary {
  products: number;
  orders_this_period: number;
  revenue_this_period_cents: number;
  period_start: string;
  period_end: string;
}

/** The small analytics of the `analytics` feature: the counters, and revenue inside the current period. */
@Injectable()
export class AnalyticsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(vendorId: number): Promise<AnalyticsSummary> {
    const [row] = await this.dataSource.query(
      `SELECT s.products_count, s.orders_this_period, s.period_start, s.period_end,
              (SELECT COALESCE(sum(o.total_cents), 0)::bigint FROM orders o
                WHERE o.vendor_id = s.vendor_id AND o.created_at >= s.period_start AND o.created_at < s.period_end) AS revenue
         FROM vendor_subscriptions s WHERE s.vendor_id = $1`,
      [vendorId],
    );
    if (!row) throw new NotFoundError('Subscription');
    return {
      products: row.products_count,
      orders_this_period: row.orders_this_period,
      revenue_this_period_cents: Number(row.revenue),
      period_start: row.period_start.toISOString(),
      period_end: row.period_end.toISOString(),
    };
  }
}
