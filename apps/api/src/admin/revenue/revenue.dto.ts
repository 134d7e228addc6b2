import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';

// GET /api/v1/admin/revenue (CONTRACT §10): its query and its answer, for validation and the OpenAPI document.

export class RevenueQuery {
  @ApiPropertyOptional({ type: 'integer', default: 12, minimum: 1, maximum: 60, description: 'how many months, the current one last' })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(60)
  months: number = 12;
}

export class RevenueMonthDto {
  @ApiProperty({ example: '2026-11' }) month: string;
  @ApiProperty({ description: "MRR at the month's end (the current month: now)" }) mrr_cents: number;
  @ApiProperty({ description: "vendors' first paid month" }) new_mrr_cents: number;
  @ApiProperty({ description: 'paying vendors whose value went up' }) expansion_mrr_cents: number;
  @ApiProperty({ description: 'paying vendors whose value went down (still paying)' }) contraction_mrr_cents: number;
  @ApiProperty({ description: 'paying vendors whose value went to zero' }) churned_mrr_cents: number;
  @ApiProperty({ description: 'vendors paying again after they had churned' }) reactivation_mrr_cents: number;
  @ApiProperty({ description: "vendors with a monthly value above zero at the month's end" }) paying_vendors: number;
  @ApiProperty() new_paying_vendors: number;
  @ApiProperty() reactivated_vendors: number;
  @ApiProperty() churned_vendors: number;
  @ApiProperty({ description: 'mrr_cents / paying_vendors, rounded (0 without paying vendors)' }) arpu_cents: number;
}

export class RevenueCurrentDto {
  @ApiProperty() mrr_cents: number;
  @ApiProperty({ description: 'mrr_cents × 12' }) arr_cents: number;
  @ApiProperty() paying_vendors: number;
  @ApiProperty({ description: 'subscriptions in trial now' }) trialing_vendors: number;
  @ApiProperty({ type: 'number', nullable: true, example: 0.42, description: 'of the trials that ended in the last 90 days, the share that went active or past_due; null: none ended' })
  trial_conversion_rate_90d: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 0.03, description: 'of the vendors paying 30 days ago, the share not paying now; null: none paid' })
  logo_churn_rate_30d: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 1.04, description: "the MRR now of the vendors paying 12 months ago, over their MRR then; null: none paid" })
  net_revenue_retention_12m: number | null;
}

export class RevenueDto {
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ type: [RevenueMonthDto], description: 'oldest first, the current month last' }) months: RevenueMonthDto[];
  @ApiProperty({ type: RevenueCurrentDto }) current: RevenueCurrentDto;
}
