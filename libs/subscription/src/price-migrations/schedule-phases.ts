import type { Stripe } from '@app/stripe';

/** What a migrated subscription must do at Stripe: bill `newPriceId` instead of `oldPriceId` from `effectiveAt`. */
export interface PriceMove {
  oldPriceId: string | null;
  newPriceId: string;
  /** Unix seconds: the renewal the vendor was told. */
  effectiveAt: number;
}

export type PhasesPlan =
  | { kind: 'update'; phases: Stripe.SubscriptionScheduleUpdateParams.Phase[] }
  | { kind: 'done' }
  | { kind: 'refused'; reason: string };

const idOf = (price: string | { id: string } | null | undefined): string | null => (price ? (typeof price === 'string' ? price : price.id) : null);

/**
 * The phases that move a schedule's subscription to the new price (pure; its spec is schedule-phases.spec.ts).
 * Two phases: the current one as it is (same start, Stripe refuses to move a started phase's start) until the
 * effective date, then the same items with the plan's price replaced, without proration — the change falls on a
 * renewal, so nothing is prorated anyway; `none` also keeps Stripe from crediting a period already paid. The
 * schedule is released after the second phase (end_behavior `release`): the subscription goes on at the new price.
 * Built from the schedule's current phase (or its first, before it starts), so a schedule that already holds this
 * change (a retry after a crash, an earlier migration's) is given the same two phases again, never a third.
 * `done`: the current phase bills the new price already. `refused`: the plan no longer bills the old price.
 */
export function migratedPhases(schedule: Stripe.SubscriptionSchedule, move: PriceMove, now: number): PhasesPlan {
  const current = schedule.phases.find((p) => p.start_date <= now && now < p.end_date) ?? schedule.phases[0];
  if (!current) return { kind: 'refused', reason: 'the schedule has no phase' };
  const prices = current.items.map((item) => idOf(item.price as string | { id: string }));
  if (prices.includes(move.newPriceId)) return { kind: 'done' };
  const plan = move.oldPriceId ? prices.indexOf(move.oldPriceId) : -1;
  if (plan < 0) return { kind: 'refused', reason: `the subscription no longer bills ${move.oldPriceId ?? 'a known plan price'} (its items: ${prices.join(', ')})` };
  if (move.effectiveAt <= current.start_date) return { kind: 'refused', reason: 'the effective date is not after the current phase started' };
  const items = (swap: boolean) =>
    current.items.map((item, i) => ({
      price: swap && i === plan ? move.newPriceId : prices[i]!,
      ...(typeof item.quantity === 'number' && { quantity: item.quantity }),
    }));
  return {
    kind: 'update',
    phases: [
      { items: items(false), start_date: current.start_date, end_date: move.effectiveAt, ...(current.trial_end && { trial_end: current.trial_end }), proration_behavior: 'none' },
      { items: items(true), start_date: move.effectiveAt, proration_behavior: 'none' },
    ],
  };
}
