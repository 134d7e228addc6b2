import { Counter, Histogram, register } from 'prom-client';
import { isHandledEventType } from './handled-event-types.js';

export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored' | 'needs_attention' | 'failed' | 'invalid_signature';

// Module scope, created once per process: prom-client refuses a second metric of the same name.
export const webhookEventsTotal =
  (register.getSingleMetric('stripe_webhook_events_total') as Counter<'type' | 'outcome'> | undefined) ??
  new Counter({
    name: 'stripe_webhook_events_total',
    help: 'Stripe webhook deliveries by event type and outcome (processed, duplicate, ignored, needs_attention, failed, invalid_signature).',
    labelNames: ['type', 'outcome'],
  });

export const webhookProcessingSeconds =
  (register.getSingleMetric('stripe_webhook_processing_seconds') as Histogram<'type' | 'outcome'> | undefined) ??
  new Histogram({
    name: 'stripe_webhook_processing_seconds',
    help: 'Time to claim, apply and mark one Stripe event, by type and outcome.',
    labelNames: ['type', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

export const stripeReadsSkippedTotal =
  (register.getSingleMetric('stripe_reads_skipped_total') as Counter<'source'> | undefined) ??
  new Counter({
    name: 'stripe_reads_skipped_total',
    help: 'Reads of a Stripe subscription not written because the row had observed something newer since the read began (an event applied meanwhile), by source (sync, reconciliation).',
    labelNames: ['source'],
  });

/** Event types we handle; anything else is counted as `other` so a flood of new types cannot grow the label set. */
export function metricType(type: string | undefined): string {
  if (!type) return 'unknown';
  return isHandledEventType(type) ? type : 'other';
}
