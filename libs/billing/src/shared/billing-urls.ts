import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** Where Stripe sends the vendor back to: the billing page on APP_BASE_URL (default http://localhost:PORT). */
@Injectable()
export class BillingUrls {
  private readonly base: string;

  constructor(config: ConfigService) {
    const configured = config.get<string>('APP_BASE_URL');
    this.base = (configured ?? `http://localhost:${config.get<number>('PORT', 3000)}`).replace(/\/+$/, '');
  }

  billingPage(vendorCode: string, query: Record<string, string> = {}): string {
    const url = `${this.base}/vendor/${encodeURIComponent(vendorCode)}/billing`;
    const params = Object.entries(query).map(([k, v]) => `${k}=${v === CHECKOUT_SESSION_PLACEHOLDER ? v : encodeURIComponent(v)}`);
    return params.length ? `${url}?${params.join('&')}` : url;
  }

  /** Success and cancel URLs of a Checkout session; Stripe fills in {CHECKOUT_SESSION_ID} on success. */
  checkoutReturn(vendorCode: string, extra: Record<string, string> = {}): { success_url: string; cancel_url: string } {
    return {
      success_url: this.billingPage(vendorCode, { checkout: 'success', ...extra, session_id: CHECKOUT_SESSION_PLACEHOLDER }),
      cancel_url: this.billingPage(vendorCode, { checkout: 'cancelled', ...extra }),
    };
  }
}

/** Stripe's template variable, which must reach Stripe unescaped. */
export const CHECKOUT_SESSION_PLACEHOLDER = '{CHECKOUT_SESSION_ID}';

export const toUnixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
export const fromUnixSeconds = (seconds: number | null | undefined): Date | null => (seconds == null ? null : new Date(seconds * 1000));
export const isoOrNull = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
