import { MONTHLY_VALUE_CASES, monthlyValueCents } from '@app/subscription';
import { createTestApp, type TestApp } from '../support/test-app.js';

// The rule "what is this worth a month" runs in SQL (monthly_value_cents, used by the history's triggers); the
// TypeScript function documents it. They must agree on every case.
describe('monthly_value_cents (SQL) and monthlyValueCents (TypeScript)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('agree on every case', async () => {
    const rows: Array<{ cents: number }> = await t.db.query(
      `SELECT monthly_value_cents(c.status, c.price, c.yearly, c.quantity, c.ends_at, c.at) AS cents
         FROM unnest($1::text[], $2::int[], $3::boolean[], $4::int[], $5::timestamptz[], $6::timestamptz[]) WITH ORDINALITY AS c(status, price, yearly, quantity, ends_at, at, i)
        ORDER BY c.i`,
      [
        MONTHLY_VALUE_CASES.map((c) => c.state.status), MONTHLY_VALUE_CASES.map((c) => c.state.priceCents), MONTHLY_VALUE_CASES.map((c) => c.state.billedYearly),
        MONTHLY_VALUE_CASES.map((c) => c.state.quantity), MONTHLY_VALUE_CASES.map((c) => c.state.endsAt), MONTHLY_VALUE_CASES.map((c) => c.at),
      ],
    );
    expect(rows.map((r) => r.cents)).toEqual(MONTHLY_VALUE_CASES.map((c) => monthlyValueCents(c.state, c.at)));
    expect(rows.map((r) => r.cents)).toEqual(MONTHLY_VALUE_CASES.map((c) => c.cents));
  });
});
