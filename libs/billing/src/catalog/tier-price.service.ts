import { Injectable, Logger } from '@nestjs/common';
import { StripeService } from '@app/stripe';
import { TierService, type AdminTierView, type TierPatch } from '@app/subscription';
import { CatalogSyncService } from './catalog-sync.service.js';

/**
 * An admin's tier change (CONTRACT §11). A price change forgets the interval's Stripe price (TierService.updateTier)
 * and, when Stripe is configured, has the catalog make the new one at once — a new price, never an edit (Stripe
 * prices are immutable): new Checkouts use it, vendors already paying keep theirs until a price migration moves
 * them. Stripe is called after the tier's transaction has committed, holding nothing. If Stripe fails, the change
 * stands and Checkout for that interval answers STRIPE_PRICE_NOT_CONFIGURED until `npm run stripe:sync-catalog`.
 */
@Injectable()
export class TierPriceService {
  private readonly logger = new Logger('TierPrices');

  constructor(
    private readonly tiers: TierService,
    private readonly catalog: CatalogSyncService,
    private readonly stripe: StripeService,
  ) {}

  async updateTier(code: string, patch: TierPatch): Promise<AdminTierView> {
    const before = await this.tiers.getTier(code);
    const after = await this.tiers.updateTier(code, patch);
    if (!TierService.changesPrice(before, after) || !this.stripe.isConfigured) return this.tiers.getForAdmin(code);
    try {
      await this.catalog.syncTierPrices(code);
    } catch (error) {
      this.logger.warn({ tier_code: code, msg: `the new Stripe price of tier ${code} was not made now (run npm run stripe:sync-catalog): ${(error as Error).message}` });
    }
    return this.tiers.getForAdmin(code);
  }
}
