import { classifyMovement, movementDelta } from './revenue-movement.js';

const state = (mrrCents: number) => ({ mrrCents });

describe('classifyMovement', () => {
  it('a first paid month is new', () => {
    expect(classifyMovement({ before: state(0), after: state(2900), paidEarlier: false })).toEqual({ kind: 'new', cents: 2900 });
  });
  it('paying again after churn is a reactivation', () => {
    expect(classifyMovement({ before: state(0), after: state(7900), paidEarlier: true })).toEqual({ kind: 'reactivation', cents: 7900 });
  });
  it('a paying vendor going up is expansion, by the difference', () => {
    expect(classifyMovement({ before: state(2900), after: state(7900), paidEarlier: true })).toEqual({ kind: 'expansion', cents: 5000 });
  });
  it('a paying vendor going down is contraction, by the difference', () => {
    expect(classifyMovement({ before: state(7900), after: state(2417), paidEarlier: true })).toEqual({ kind: 'contraction', cents: 5483 });
  });
  it('a paying vendor going to zero is churn, of all it paid', () => {
    expect(classifyMovement({ before: state(7900), after: state(0), paidEarlier: true })).toEqual({ kind: 'churn', cents: 7900 });
  });
  it('no change, or nothing before and after, is no movement', () => {
    expect(classifyMovement({ before: state(2900), after: state(2900), paidEarlier: true }).kind).toBe('none');
    expect(classifyMovement({ before: state(0), after: state(0), paidEarlier: true }).kind).toBe('none');
    expect(classifyMovement({ before: state(0), after: state(0), paidEarlier: false }).kind).toBe('none');
  });
  it('every movement adds up to the change of value', () => {
    const values = [0, 1, 2417, 2900, 7900];
    for (const b of values)
      for (const a of values)
        for (const paidEarlier of [false, true]) {
          expect(movementDelta(classifyMovement({ before: state(b), after: state(a), paidEarlier }))).toBe(a - b);
        }
  });
  it('applied to sums of a group with the same inputs, gives the sum of the movements', () => {
    const group = [[2900, 7900], [100, 250]];
    const sum = classifyMovement({ before: state(3000), after: state(8150), paidEarlier: true });
    const each = group.map(([b, a]) => classifyMovement({ before: state(b), after: state(a), paidEarlier: true }).cents);
    expect(sum).toEqual({ kind: 'expansion', cents: each[0] + each[1] });
  });
});
