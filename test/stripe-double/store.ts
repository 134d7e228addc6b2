import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import type { LineInit } from './objects.js';

export const API_VERSION = '2026-10-28.endive';

/** One proration the double computed, for a preview or for a subscription change (same inputs → same amounts). */
export interface ProrationRecord {
  subscription: string;
  proration_date: number;
  /** Sum of the proration lines (credit for unused time + charge for the remaining time), in cents. */
  amount: number;
  lines: Array<{ amount: number; description: string; price: string; quantity: number; proration: boolean; period: { start: number; end: number } }>;
  source: 'preview' | 'update';
}

/** What a Checkout Session was created with that the session object does not show; the double keeps it aside. */
export interface SessionExtras {
  lineItems: Array<{ price: string; quantity: number }>;
  subscriptionMetadata: Record<string, string>;
  trialEnd: number | null;
  trialPeriodDays: number | null;
}

/** A Map that counts its changes, so a sorted view of it lasts until it changes (see `newestFirstView`). */
export class VersionedMap<K, V> extends Map<K, V> {
  version = 0;

  override set(key: K, value: V): this {
    this.version = (this.version ?? 0) + 1;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }

  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** Stripe-side truth. Tests may read it and (through the double's helpers) change it. */
export class StripeState {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly products = new Map<string, Stripe.Product>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly subscriptions = new VersionedMap<string, Stripe.Subscription>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly sessions = new Map<string, Stripe.Checkout.Session>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  readonly events = new Map<string, Stripe.Event>();
  /** Billing Meters and the meter events accepted (resources/meters.ts). */
  readonly meters = new Map<string, Stripe.Billing.Meter>();
  readonly meterEvents: { event: Stripe.Billing.MeterEvent; receivedAt: number }[] = [];
  /** Subscription schedules (resources/schedules.ts). */
  readonly schedules = new Map<string, Stripe.SubscriptionSchedule>();
  readonly sessionExtras = new Map<string, SessionExtras>();
  readonly prorations: ProrationRecord[] = [];
  /** Proration lines of `create_prorations` changes, waiting for the subscription's next invoice (as Stripe's pending invoice items). */
  readonly pendingProrations = new Map<string, LineInit[]>();
  /** Fixed "now" in Unix seconds, or null for the wall clock. */
  fixedNow: number | null = null;
  /** When true (default), API mutations append the events Stripe would emit (customer.subscription.updated, …). */
  autoEvents: boolean;

  constructor(private readonly autoEventsDefault = true) {
    this.autoEvents = autoEventsDefault;
  }

  now(): number {
    return this.fixedNow ?? Math.floor(Date.now() / 1000);
  }

  clear(): void {
    for (const map of [this.customers, this.products, this.prices, this.subscriptions, this.invoices, this.sessions, this.portalSessions, this.events, this.sessionExtras]) {
      map.clear();
    }
    this.prorations.length = 0;
    this.meters.clear();
    this.schedules.clear();
    this.meterEvents.length = 0;
    this.pendingProrations.clear();
    this.fixedNow = null;
    this.autoEvents = this.autoEventsDefault;
  }

  /** The object an id names, whatever its kind (used by `expand`). */
  lookup(id: string): object | undefined {
    for (const map of [this.customers, this.products, this.prices, this.subscriptions, this.invoices, this.sessions, this.events, this.schedules]) {
      const found = (map as Map<string, object>).get(id);
      if (found) return found;
    }
    return undefined;
  }
}

let counter = 0;

/** Stripe-like ids: prefix, then 24 base62-ish characters; a counter keeps them unique within a process. */
export function newId(prefix: string): string {
  counter += 1;
  const random = randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(16, '0').slice(0, 16);
  return `${prefix}_${random}${counter.toString(36).padStart(8, '0')}`;
}
