/**
 * Bearer tokens whose signature was verified, with their claims, until they expire: every authenticated request
 * presents the same few tokens again, and verifying one (decode, HMAC, JSON, the claim checks) costs more than the
 * rest of the guard. Only a token that passed verification is remembered, keyed by its whole text (so by its
 * signature too); its expiry is checked again on every hit. The user behind it is still read on every request.
 * Bounded: at `capacity` the oldest entry goes.
 */
export class VerifiedTokens<C> {
  private readonly entries = new Map<string, { claims: C; expiresAtMs: number }>();

  constructor(
    private readonly capacity: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The claims of a remembered token that has not expired; undefined otherwise. */
  get(token: string): C | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (this.nowMs() < entry.expiresAtMs) return entry.claims;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a verified token until `exp` (seconds); one without an expiry is not remembered. */
  remember(token: string, claims: C, exp: number | undefined): void {
    if (typeof exp !== 'number') return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { claims, expiresAtMs: exp * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
