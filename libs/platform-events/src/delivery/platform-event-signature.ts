import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a receiver verifies (CONTRACT §9), the same scheme as Stripe-Signature. */
export const PLATFORM_SIGNATURE_HEADER = 'Platform-Signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: each attempt is signed at its own time. */
export function signPlatformEvent(body: string, secret: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * What a receiver does (the README shows the same lines): the header's v1 must be the HMAC of "<t>.<raw body>",
 * compared in constant time, and t no older than the tolerance.
 */
export function verifyPlatformSignature(body: string, header: string | undefined, secret: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
