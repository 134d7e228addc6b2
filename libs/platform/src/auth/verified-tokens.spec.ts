import { VerifiedTokens } from './verified-tokens.js';

describe('VerifiedTokens', () => {
  it('answers a remembered token until the second it expires, then forgets it', () => {
    let now = 1_000_000;
    const tokens = new VerifiedTokens<{ sub: string }>(10, () => now);
    tokens.remember('a.b.c', { sub: '1' }, 1_000 + 60);
    expect(tokens.get('a.b.c')).toEqual({ sub: '1' });
    now = 1_059_999;
    expect(tokens.get('a.b.c')).toEqual({ sub: '1' });
    now = 1_060_000;
    expect(tokens.get('a.b.c')).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('knows only the exact text it verified, and never a token without an expiry', () => {
    const tokens = new VerifiedTokens<{ sub: string }>(10, () => 0);
    tokens.remember('a.b.c', { sub: '1' }, 60);
    tokens.remember('x.y.z', { sub: '2' }, undefined);
    expect(tokens.get('a.b.d')).toBeUndefined();
    expect(tokens.get('x.y.z')).toBeUndefined();
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const tokens = new VerifiedTokens<number>(3, () => 0);
    for (let i = 1; i <= 5; i++) tokens.remember(`t${i}`, i, 60);
    expect(tokens.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((i) => tokens.get(`t${i}`))).toEqual([undefined, undefined, 3, 4, 5]);
  });
});
