// The Stripe objects the double answers with, under names of their own for the schema generator (several of the SDK's
// types share a short name: Checkout's and the billing portal's `Session`). Input of scripts/generate-stripe-schemas.mjs.
import type Stripe from 'stripe';

/* eslint-disable @typescript-eslint/no-empty-object-type -- a new name is the point: the generator names each schema after its interface */

export interface StripeCustomer extends Stripe.Customer {}
export interface StripeDeletedCustomer extends Stripe.DeletedCustomer {}
export interface StripeProduct extends Stripe.Product {}
export interface StripeDeletedProduct extends Stripe.DeletedProduct {}
export interface StripePrice extends Stripe.Price {}
export interface StripeSubscription extends Stripe.Subscription {}
export interface StripeSubscriptionItem extends Stripe.SubscriptionItem {}
export interface StripeInvoice extends Stripe.Invoice {}
export interface StripeInvoiceLineItem extends Stripe.InvoiceLineItem {}
export interface StripeCheckoutSession extends Stripe.Checkout.Session {}
export interface StripeCheckoutLineItem extends Stripe.LineItem {}
export interface StripePortalSession extends Stripe.BillingPortal.Session {}
export interface StripeEvent extends Stripe.EventBase {}
export interface StripeBillingMeter extends Stripe.Billing.Meter {}
export interface StripeBillingMeterEvent extends Stripe.Billing.MeterEvent {}
export interface StripeSubscriptionSchedule extends Stripe.SubscriptionSchedule {}
