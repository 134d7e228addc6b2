import { MONTHLY_VALUE_CASES, monthlyValueCents } from './monthly-value.js';

describe('monthlyValueCents', () => {
  it.each(MONTHLY_VALUE_CASES)('$name: $cents', ({ state, at, cents }) => {
    expect(monthlyValueCents(state, at)).toBe(cents);
  });
});
