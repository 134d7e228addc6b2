import { ApiProperty } from '@nestjs/swagger';

// The answers of /api/v1/admin/platform-health (CONTRACT §7, the design note's shapes), for the OpenAPI document.

const DATE_TIME = { type: 'string', format: 'date-time' } as const;
const COUNTS_BY_TIER = { type: 'object', additionalProperties: { type: 'integer' }, example: { essential: 12, professional: 3 }, description: 'live subscriptions per tier code' } as const;

export class InfrastructureTierDto {
  @ApiProperty({ example: 'Small' }) name: string;
  @ApiProperty() min_clients: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'exclusive; null for the top tier' }) max_clients: number | null;
  @ApiProperty({ example: '4' }) vcpu: string;
  @ApiProperty({ example: '8GB' }) ram: string;
  @ApiProperty({ example: '250GB' }) storage: string;
  @ApiProperty({ example: 'PostgreSQL' }) database: string;
  @ApiProperty({ example: '€80' }) monthly_cost: string;
}

class VendorCountsDto {
  @ApiProperty() total: number;
  @ApiProperty() active: number;
  @ApiProperty() trial: number;
}

class SubscriptionCountsDto {
  @ApiProperty() total: number;
  @ApiProperty({ description: 'trial + active + past_due' }) live: number;
  @ApiProperty({ description: 'paying: active + past_due' }) active: number;
  @ApiProperty() trial: number;
}

class ResourceTotalsDto {
  @ApiProperty() products: number;
  @ApiProperty() orders_this_period: number;
  @ApiProperty() team_members: number;
}

class DatabaseSizeDto {
  @ApiProperty({ example: 12.5 }) size_mb: number;
}

class InfrastructureDto {
  @ApiProperty({ type: InfrastructureTierDto }) current_tier: InfrastructureTierDto;
  @ApiProperty({ type: InfrastructureTierDto, nullable: true }) next_tier: InfrastructureTierDto | null;
  @ApiProperty({ type: 'integer', nullable: true }) next_upgrade_at_vendors: number | null;
}

export class CapacityDto {
  @ApiProperty(DATE_TIME) measured_at: string;
  @ApiProperty({ type: VendorCountsDto }) vendors: VendorCountsDto;
  @ApiProperty({ type: SubscriptionCountsDto }) subscriptions: SubscriptionCountsDto;
  @ApiProperty({ type: ResourceTotalsDto }) resources: ResourceTotalsDto;
  @ApiProperty({ type: DatabaseSizeDto }) database: DatabaseSizeDto;
  @ApiProperty({ type: InfrastructureDto }) infrastructure: InfrastructureDto;
}

export class ResourceCapacityDto {
  @ApiProperty({ description: 'usage of every live subscription' }) actual: number;
  @ApiProperty({ description: 'sum of the limits of live subscriptions on capped tiers' }) theoretical_limit: number;
  @ApiProperty({ description: 'capped usage against its limits, %' }) utilization_percent: number;
  @ApiProperty() headroom: number;
  @ApiProperty() unlimited_subscriptions: number;
  @ApiProperty() unlimited_actual: number;
}

export class SubscriptionCapacityDto {
  @ApiProperty(DATE_TIME) measured_at: string;
  @ApiProperty() total_subscriptions: number;
  @ApiProperty(COUNTS_BY_TIER) tier_distribution: Record<string, number>;
  @ApiProperty({ type: ResourceCapacityDto }) products: ResourceCapacityDto;
  @ApiProperty({ type: ResourceCapacityDto }) orders_monthly: ResourceCapacityDto;
  @ApiProperty({ type: ResourceCapacityDto }) team_members: ResourceCapacityDto;
}

export class GrowthTrendsDto {
  @ApiProperty() period_days: number;
  @ApiProperty() snapshots_available: number;
  @ApiProperty({ type: 'string', format: 'date', nullable: true }) start_date: string | null;
  @ApiProperty({ type: 'string', format: 'date', nullable: true }) end_date: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: true },
    description: 'by metric (vendors, active_vendors, …): the fitted trend (slope_per_day, projection_30d, projection_90d, r_squared, outliers, least_squares_all)',
  })
  trends: Record<string, Record<string, unknown>>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ dates: [...], values: { metric: [...] } }: the daily values the trends were fitted to' })
  series: Record<string, unknown>;
  @ApiProperty({ required: false, description: 'why there is no trend yet (fewer than two snapshots)' }) message?: string;
}

export class RecommendationDto {
  @ApiProperty({ enum: ['capacity', 'growth', 'infrastructure', 'database', 'data'] }) category: string;
  @ApiProperty({ enum: ['critical', 'warning', 'info'] }) severity: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiProperty() action: string;
}

class DatabaseHealthDto {
  @ApiProperty({ enum: ['up'] }) status: string;
  @ApiProperty() latency_ms: number;
  @ApiProperty() size_mb: number;
}

export class LastJobRunDto {
  @ApiProperty({ example: 'reset-period-counters' }) name: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'skipped'], enumName: 'JobRunStatus' }) status: string;
  @ApiProperty(DATE_TIME) started_at: string;
  @ApiProperty({ ...DATE_TIME, nullable: true }) finished_at: string | null;
  @ApiProperty() rows_affected: number;
  @ApiProperty({ type: 'string', nullable: true }) error: string | null;
}

class JobsHealthDto {
  @ApiProperty({ type: [LastJobRunDto] }) last_runs: LastJobRunDto[];
  @ApiProperty({ type: [String], description: 'jobs whose last run failed' }) failing: string[];
}

export class HealthReportDto {
  @ApiProperty({ enum: ['healthy', 'degraded', 'critical'] }) status: string;
  @ApiProperty(DATE_TIME) checked_at: string;
  @ApiProperty({ type: DatabaseHealthDto }) database: DatabaseHealthDto;
  @ApiProperty({ type: CapacityDto }) capacity: CapacityDto;
  @ApiProperty({ type: SubscriptionCapacityDto }) subscription_capacity: SubscriptionCapacityDto;
  @ApiProperty({ type: GrowthTrendsDto }) trends: GrowthTrendsDto;
  @ApiProperty({ type: JobsHealthDto }) jobs: JobsHealthDto;
  @ApiProperty({ type: [RecommendationDto] }) recommendations: RecommendationDto[];
}

export class CapacitySnapshotDto {
  @ApiProperty() id: number;
  @ApiProperty({ type: 'string', format: 'date' }) snapshot_date: string;
  @ApiProperty() total_vendors: number;
  @ApiProperty() active_vendors: number;
  @ApiProperty() trial_vendors: number;
  @ApiProperty() total_subscriptions: number;
  @ApiProperty() active_subscriptions: number;
  @ApiProperty() total_products: number;
  @ApiProperty() total_orders_month: number;
  @ApiProperty() total_team_members: number;
  @ApiProperty() storage_used_gb: number;
  @ApiProperty() db_size_mb: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: some tier is unlimited' }) theoretical_products_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) theoretical_orders_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) theoretical_team_limit: number | null;
  @ApiProperty(COUNTS_BY_TIER) tier_distribution: Record<string, number>;
  @ApiProperty(DATE_TIME) created_at: string;
}
