import type { Stripe } from '@app/stripe';
import { migratedPhases } from './schedule-phases.js';

const START = 1_767_225_600; // 2026-01-01
const END = 1_769_904_000; // 2026-02-01
const LATER = 1_772_323_200; // 2026-03-01

function schedule(items: Array<{ price: string; quantity?: number }>, phase: Partial<Stripe.SubscriptionSchedule.Phase> = {}, more: Stripe.SubscriptionSchedule.Phase[] = []) {
  return { id: 'sub_sched_1', phases: [{ start_date: START, end_date: END, items, trial_end: null, ...phase }, ...more] } as unknown as Stripe.SubscriptionSchedule;
}

describe('migratedPhases', () => {
  it('keeps the current phase until the effective date, then the same items with the new plan price, no proration', () => {
    const plan = migratedPhases(schedule([{ price: 'price_addon', quantity: 2 }, { price: 'price_old', quantity: 1 }, { price: 'price_metered' }]), { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: LATER }, START + 10);
    expect(plan).toEqual({
      kind: 'update',
      phases: [
        { items: [{ price: 'price_addon', quantity: 2 }, { price: 'price_old', quantity: 1 }, { price: 'price_metered' }], start_date: START, end_date: LATER, proration_behavior: 'none' },
        { items: [{ price: 'price_addon', quantity: 2 }, { price: 'price_new', quantity: 1 }, { price: 'price_metered' }], start_date: LATER, proration_behavior: 'none' },
      ],
    });
  });

  it('keeps a trial of the current phase', () => {
    const plan = migratedPhases(schedule([{ price: 'price_old', quantity: 1 }], { trial_end: END }), { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: END }, START);
    expect(plan.kind === 'update' && plan.phases[0]).toMatchObject({ trial_end: END, end_date: END });
  });

  it('gives a schedule that already holds the change the same two phases again (a retry), from its current phase', () => {
    const first = migratedPhases(schedule([{ price: 'price_old', quantity: 1 }]), { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: LATER }, START);
    const migrated = schedule([{ price: 'price_old', quantity: 1 }], { end_date: LATER }, [{ start_date: LATER, end_date: LATER + 2_678_400, items: [{ price: 'price_new', quantity: 1 }] } as unknown as Stripe.SubscriptionSchedule.Phase]);
    expect(migratedPhases(migrated, { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: LATER }, START + 5)).toEqual(first);
  });

  it('answers done when the plan bills the new price already, refused when it bills neither', () => {
    expect(migratedPhases(schedule([{ price: 'price_new', quantity: 1 }]), { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: LATER }, START)).toEqual({ kind: 'done' });
    expect(migratedPhases(schedule([{ price: 'price_other', quantity: 1 }]), { oldPriceId: 'price_old', newPriceId: 'price_new', effectiveAt: LATER }, START)).toMatchObject({ kind: 'refused' });
  });
});
