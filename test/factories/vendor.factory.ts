import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { TestApp } from '../support/test-app.js';

export interface SignedUpVendor {
  token: string;
  vendorId: number;
  userId: number;
  code: string;
  email: string;
  password: string;
}

let sequence = 0;

/** A vendor signed up through the real API (trial on essential), with its owner's token. */
export async function signUpVendor(t: TestApp, overrides: Partial<{ code: string; email: string; name: string; password: string }> = {}): Promise<SignedUpVendor> {
  const suffix = `${process.pid % 1000}-${++sequence}-${randomBytes(2).toString('hex')}`;
  const code = overrides.code ?? `vendor-${suffix}`;
  const email = overrides.email ?? `owner-${suffix}@shop.test`;
  const password = overrides.password ?? 'correct-horse-battery';
  const res = await request(t.http)
    .post('/api/v1/auth/signup')
    .send({ vendor_name: overrides.name ?? `Shop ${suffix}`, vendor_code: code, email, password });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token, vendorId: res.body.vendor.id, userId: res.body.user.id, code, email, password };
}
