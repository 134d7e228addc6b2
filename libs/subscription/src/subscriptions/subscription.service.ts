import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import type { EntityManager } from 'typeorm';
import { addDays, periodEndFrom } from './subscription-period.js';
import { VendorSubscription } from './vendor-subscription.entity.js';

export const DEFAULT_TIER_CODE = 'essential';

@Injectable()
export class SubscriptionService {
  constructor(
    private readonly config: ConfigService,
    private readonly clock: Clock,
  ) {}

  /**
   * The subscription of a new vendor: the default tier, in trial for STRIPE_TRIAL_DAYS, one monthly period,
   * and the owner already counted as a team member. Runs in the signup transaction.
   */
  async startTrial(manager: EntityManager, vendorId: number): Promise<VendorSubscription> {
    const now = this.clock.now();
    const trialDays = this.config.get<number>('STRIPE_TRIAL_DAYS', 30);
    return manager.getRepository(VendorSubscription).save({
      vendorId,
      tierCode: DEFAULT_TIER_CODE,
      status: 'trial',
      isAnnual: false,
      trialEndsAt: addDays(now, trialDays),
      periodStart: now,
      periodEnd: periodEndFrom(now, false),
      teamMembersCount: 1,
    });
  }
}
