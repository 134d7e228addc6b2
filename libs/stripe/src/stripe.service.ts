import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';
import { redactUrlSecrets } from '@app/common';
import { PaymentProviderError, PaymentSystemNotConfiguredError } from './stripe.errors.js';

/** Stripe's own tolerance for webhook timestamps: a signature older than this is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * What runs before each Stripe call made within `beforeStripeCalls.run(hook, …)`: a billing operation renews the
 * vendor's turn there, and refuses the call when it lost the turn (see BillingOperationsService).
 */
export const beforeStripeCalls = new AsyncLocalStorage<() => Promise<void>>();

/**
 * The one configured `stripe` client of a process, or none when STRIPE_SECRET_KEY is unset. Everything that
 * talks to Stripe goes through `call`, which turns the SDK's errors into the contract's PAYMENT_PROVIDER_ERROR.
 * STRIPE_API_HOST/PORT/PROTOCOL send the same SDK to a Stripe-compatible server (stripe-mock, the test double).
 */
@Injectable()
export class StripeService {
  private readonly logger = new Logger(StripeService.name);
  private readonly stripe: Stripe | null;
  private readonly webhookSecret: string | undefined;

  constructor(config: ConfigService) {
    const key = config.get<string>('STRIPE_SECRET_KEY');
    this.webhookSecret = config.get<string>('STRIPE_WEBHOOK_SECRET');
    const host = config.get<string>('STRIPE_API_HOST');
    this.stripe = key
      ? new Stripe(key, {
          maxNetworkRetries: config.get<number>('STRIPE_MAX_NETWORK_RETRIES') ?? 2,
          timeout: config.get<number>('STRIPE_TIMEOUT_MS') ?? 20_000,
          appInfo: { name: 'vendor-billing' },
          telemetry: false,
          ...(host && { host, port: config.get<number>('STRIPE_API_PORT'), protocol: config.get<'http' | 'https'>('STRIPE_API_PROTOCOL') ?? 'https' }),
        })
      : null;
  }

  get isConfigured(): boolean {
    return this.stripe !== null;
  }

  /** PAYMENT_SYSTEM_NOT_CONFIGURED (503) unless a key is set: call it before changing anything that needs Stripe. */
  assertConfigured(): void {
    if (!this.stripe) throw new PaymentSystemNotConfiguredError();
  }

  /** The client; PAYMENT_SYSTEM_NOT_CONFIGURED (503) when there is no key. */
  get client(): Stripe {
    if (!this.stripe) throw new PaymentSystemNotConfiguredError();
    return this.stripe;
  }

  /**
   * Runs one Stripe operation. `operation` completes "the payment provider could not …" in the error message.
   * The SDK has already retried network failures and 409/429/5xx answers (`maxNetworkRetries`). The caller's
   * `beforeStripeCalls` hook, if any, runs first.
   */
  async call<T>(operation: string, fn: (stripe: Stripe) => Promise<T>): Promise<T> {
    const stripe = this.client;
    await beforeStripeCalls.getStore()?.();
    try {
      return await fn(stripe);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeError) {
        this.logger.warn({ stripe_type: error.type, stripe_code: error.code, status: error.statusCode, request_id: error.requestId, msg: `Stripe failed to ${operation}: ${redactUrlSecrets(error.message)}` });
        throw new PaymentProviderError(operation, { stripe_type: error.type, stripe_code: error.code, request_id: error.requestId, status: error.statusCode });
      }
      throw error;
    }
  }

  /**
   * Verifies a webhook's `Stripe-Signature` on the raw body (300 s tolerance) and answers the event, or null
   * when the signature is missing, forged or stale, or the webhook secret is not configured.
   */
  verifyWebhook(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event | null {
    if (!this.webhookSecret || !rawBody || !signature) return null;
    try {
      // Verification is pure HMAC and needs no API key, so it works even where STRIPE_SECRET_KEY is unset.
      return Stripe.webhooks.constructEvent(rawBody, signature, this.webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
    } catch {
      return null;
    }
  }
}
