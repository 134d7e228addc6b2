// Renders InvoiceEventHandlers' one statement per invoice event (the ledger's claim, the billing history row, the
// plan's update by the subscription writer, the platform event) into invoice-event.handlers.queries.sql, and fails
// when it drifts from it (DESIGN.md "Statements a reviewer can read"). Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter } from '@app/subscription';
import { expectQueriesFile } from '../../../../test/support/queries-file.js';
import { InvoiceEventHandlers, type InvoiceEventKind } from './invoice-event.handlers.js';
import { ledgerClaim } from './webhook-ledger.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
const handlers = new InvoiceEventHandlers(new SubscriptionWriter(clock), clock, new PlatformEventWriter());
const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function invoice(over: Record<string, unknown> = {}): Stripe.Invoice {
  return {
    id: 'in_1', object: 'invoice', customer: 'cus_1', number: 'INV-1', created: unix('2026-03-01T00:00:00Z'), due_date: null, currency: 'eur',
    total: 4900, amount_paid: 4900, amount_due: 4900, attempt_count: 1, billing_reason: 'subscription_cycle', status_transitions: { paid_at: unix('2026-03-01T00:05:00Z') },
    parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: { vendor_id: '7' } } },
    lines: { data: [{ description: 'Business', parent: { type: 'subscription_item_details' }, period: { start: unix('2026-03-01T00:00:00Z'), end: unix('2026-04-01T00:00:00Z') } }] },
    ...over,
  } as unknown as Stripe.Invoice;
}

function statement(kind: InvoiceEventKind, object: Stripe.Invoice, opts: { afterRead?: boolean } = {}) {
  const event = { id: 'evt_1', object: 'event', type: kind, created: unix('2026-03-15T11:59:59Z'), data: { object } } as unknown as Stripe.Event;
  const createdAt = new Date(event.created * 1000);
  return handlers.statement(kind, object, ledgerClaim({ event, payload: JSON.stringify(event), createdAt, replay: false, now: clock.now() }), createdAt, opts);
}

describe('InvoiceEventHandlers statements', () => {
  it('match invoice-event.handlers.queries.sql', () => {
    expectQueriesFile(import.meta.url, [
      { method: 'InvoiceEventHandlers.handle', variant: 'invoice.paid of a subscription', statement: statement('invoice.paid', invoice()) },
      { method: 'InvoiceEventHandlers.handle', variant: 'invoice.paid after its subscription was read and linked (afterRead: no second read)', statement: statement('invoice.paid', invoice(), { afterRead: true }) },
      { method: 'InvoiceEventHandlers.handle', variant: 'invoice.paid without a subscription', statement: statement('invoice.paid', invoice({ parent: null, billing_reason: 'manual' })) },
      { method: 'InvoiceEventHandlers.handle', variant: 'invoice.payment_failed of a subscription', statement: statement('invoice.payment_failed', invoice({ amount_paid: 0, status_transitions: {} })) },
      { method: 'InvoiceEventHandlers.handle', variant: 'an amount out of range: only the claim, needs_attention', statement: statement('invoice.paid', invoice({ total: 2 ** 40 })) },
    ]);
  });
});
