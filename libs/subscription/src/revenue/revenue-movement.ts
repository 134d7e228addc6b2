/**
 * How a vendor's monthly value moved from one month's end to the next (CONTRACT §10), as a pure function of two
 * states. The figures' statement groups vendors by the inputs that decide the kind (paying before, paying after,
 * up or down, paid at an earlier month's end) and sums their values; since each amount is linear in the values and
 * the sums keep their signs, this function applied to a group's sums gives the group's total.
 */
export type MovementKind = 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churn' | 'none';

export interface MonthEndState {
  mrrCents: number;
}

export interface MovementInput {
  before: MonthEndState;
  after: MonthEndState;
  /** Whether the vendor was paying at the end of some month before `before`'s. */
  paidEarlier: boolean;
}

export interface Movement {
  kind: MovementKind;
  /** Always ≥ 0; churn and contraction are subtracted. */
  cents: number;
}

/**
 * new: a vendor's first paid month; reactivation: paying again after it had churned; expansion / contraction: a
 * paying vendor's value up / down; churn: a paying vendor's value to zero. So
 * `after − before = new + reactivation + expansion − contraction − churn`.
 */
export function classifyMovement({ before, after, paidEarlier }: MovementInput): Movement {
  const was = before.mrrCents > 0;
  const is = after.mrrCents > 0;
  if (!was && is) return { kind: paidEarlier ? 'reactivation' : 'new', cents: after.mrrCents };
  if (was && !is) return { kind: 'churn', cents: before.mrrCents };
  if (was && after.mrrCents > before.mrrCents) return { kind: 'expansion', cents: after.mrrCents - before.mrrCents };
  if (was && after.mrrCents < before.mrrCents) return { kind: 'contraction', cents: before.mrrCents - after.mrrCents };
  return { kind: 'none', cents: 0 };
}

/** The signed change a movement makes to MRR. */
export function movementDelta(m: Movement): number {
  return m.kind === 'churn' || m.kind === 'contraction' ? -m.cents : m.cents;
}
