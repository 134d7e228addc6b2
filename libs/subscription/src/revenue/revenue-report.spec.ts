import { currentFromChanges, type MonthGroup, type RecentChanges } from './revenue-report.js';

const group = (month: string, before: number, after: number, vendors: number): MonthGroup => ({
  month, was_paying: before > 0, is_paying: after > 0, direction: after > before ? 1 : -1, paid_earlier: false, vendors,
  before_cents: String(before), after_cents: String(after),
});

const recent = (over: Partial<RecentChanges> = {}): RecentChanges => ({
  paying_gained_30d: 0, churned_30d: 0, mrr_gained_12m: '0', cohort_12m_gained_cents: '0', trialing_vendors: 0, trials_ended_90d: 0, trials_converted_90d: 0, ...over,
});

// Three vendors: A pays 1000 from the first month and 1500 from the third; B pays 500 in the first two months and
// churns; C starts at 800 in the third. Groups sum their vendors' before and after values.
const groups = [
  group('2026-01', 0, 1500, 2), // A 0→1000, B 0→500
  group('2026-03', 1000, 1500, 1), // A up
  group('2026-03', 500, 0, 1), // B churns
  group('2026-03', 0, 800, 1), // C new
];

describe('currentFromChanges', () => {
  it('adds every movement up to MRR and paying vendors now', () => {
    expect(currentFromChanges(groups, recent())).toMatchObject({ mrrCents: 2300, payingVendors: 2 });
  });

  it('counts 30 days ago as now less what was gained since, and passes churn through', () => {
    // Since 30 days ago: C started paying (+1), B stopped (−1, churned).
    expect(currentFromChanges(groups, recent({ paying_gained_30d: 0, churned_30d: 1 }))).toMatchObject({ paying30dAgo: 2, churned30d: 1 });
    // Only C since 30 days ago: one fewer paying then.
    expect(currentFromChanges(groups, recent({ paying_gained_30d: 1 }))).toMatchObject({ paying30dAgo: 1 });
  });

  it('takes MRR 12 months ago as now less what was gained since, and the cohort now as then plus its own gain', () => {
    // 12 months ago A (1000) and B (500) paid: MRR then 1500, gained since 800 (A +500, B −500, C +800); the cohort
    // (A and B) gained 0 of it, so it is worth 1500 now too.
    expect(currentFromChanges(groups, recent({ mrr_gained_12m: '800', cohort_12m_gained_cents: '0' }))).toMatchObject({
      cohort12mThenCents: 1500,
      cohort12mNowCents: 1500,
    });
  });

  it('passes the trial figures through', () => {
    expect(currentFromChanges([], recent({ trialing_vendors: 4, trials_ended_90d: 3, trials_converted_90d: 2 }))).toEqual({
      mrrCents: 0, payingVendors: 0, paying30dAgo: 0, churned30d: 0, cohort12mThenCents: 0, cohort12mNowCents: 0,
      trialingVendors: 4, trialsEnded90d: 3, trialsConverted90d: 2,
    });
  });
});
