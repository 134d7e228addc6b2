import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { insertTier, moveToTier, usage } from './limits.helpers.js';

const PARALLEL = 50;

describe('limits under concurrency', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await insertTier(t, 'race', { products: 5, orders: 5, team: 3 });
  });
  afterAll(() => t.close());

  /** Fills all but one slot through the API, then fires PARALLEL creates at the last one. */
  async function raceForLastSlot(path: string, body: (i: number) => object, taken: number) {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'race');
    for (let i = 0; i < taken; i++) expect((await api(t, v.token).post(path).send(body(1000 + i))).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => api(t, v.token).post(path).send(body(i))));
    const statuses = answers.map((r) => r.status);
    // Every refusal tells the state that refused it: the last slot taken, never "4 of 5 exceeded".
    const explained = answers.filter((r) => r.status === 403).map((r) => `${r.body.details?.current} of ${r.body.details?.limit}`);
    const full = `${explained[0]?.split(' of ')[1]} of ${explained[0]?.split(' of ')[1]}`;
    expect(explained).toEqual(Array(explained.length).fill(full));
    return { v, created: statuses.filter((s) => s === 201).length, refused: answers.filter((r) => r.status === 403 && r.body.error_code === 'TIER_LIMIT_EXCEEDED').length };
  }

  it('creates exactly one of 50 parallel products at the last free slot', async () => {
    const { v, created, refused } = await raceForLastSlot('/api/v1/vendor/products', (i) => ({ name: `P${i}`, price_cents: i }), 4);
    expect({ created, refused }).toEqual({ created: 1, refused: PARALLEL - 1 });
    const u = await usage(t, v.vendorId);
    expect(u.products_count).toBe(5);
    expect(u.products).toBe(5);
  });

  it('creates exactly one of 50 parallel orders at the last free slot', async () => {
    const { v, created, refused } = await raceForLastSlot('/api/v1/vendor/orders', (i) => ({ total_cents: i }), 4);
    expect({ created, refused }).toEqual({ created: 1, refused: PARALLEL - 1 });
    const u = await usage(t, v.vendorId);
    expect(u.orders_this_period).toBe(5);
    expect(u.orders).toBe(5);
  });

  it('seats exactly one of 50 parallel team members at the last free seat', async () => {
    const { v, created, refused } = await raceForLastSlot('/api/v1/vendor/team', (i) => ({ email: `racer-${i}-${Date.now()}@shop.test`, password: 'password-123' }), 1);
    expect({ created, refused }).toEqual({ created: 1, refused: PARALLEL - 1 });
    const u = await usage(t, v.vendorId);
    expect(u.team_members_count).toBe(3);
    expect(u.users).toBe(3);
  });

  it('keeps the product counter equal to the rows through 50 mixed parallel creates and deletes', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'race');
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api(t, v.token).post('/api/v1/vendor/products').send({ name: `seed ${i}`, price_cents: 1 })).body.id);
    // Each existing product is deleted several times over (only one delete may count) while creates compete for the slots.
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        i % 2 === 0
          ? api(t, v.token).delete(`/api/v1/vendor/products/${ids[(i / 2) % ids.length]}`)
          : api(t, v.token).post('/api/v1/vendor/products').send({ name: `mixed ${i}`, price_cents: i }),
      ),
    );
    const deletes = answers.filter((_, i) => i % 2 === 0).map((r) => r.status);
    expect(deletes.filter((s) => s === 204)).toHaveLength(4);
    expect(deletes.filter((s) => s !== 204 && s !== 404)).toEqual([]);
    const creates = answers.filter((_, i) => i % 2 === 1).map((r) => r.status);
    expect(creates.filter((s) => s !== 201 && s !== 403)).toEqual([]);

    const u = await usage(t, v.vendorId);
    expect(u.products_count).toBe(u.products);
    expect(u.products).toBe(4 - 4 + creates.filter((s) => s === 201).length);
    expect(u.products).toBeLessThanOrEqual(5);
  });

  it('keeps the seat counter equal to the users through parallel adds and removals', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'race');
    const members: number[] = [];
    for (let i = 0; i < 2; i++) members.push((await api(t, v.token).post('/api/v1/vendor/team').send({ email: `seed-${i}-${v.vendorId}@shop.test`, password: 'password-123' })).body.id);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? api(t, v.token).delete(`/api/v1/vendor/team/${members[(i / 2) % 2]}`)
          : api(t, v.token).post('/api/v1/vendor/team').send({ email: `mixed-${i}-${v.vendorId}@shop.test`, password: 'password-123' }),
      ),
    );
    expect(answers.filter((r, i) => i % 2 === 0 && r.status === 204)).toHaveLength(2);
    const u = await usage(t, v.vendorId);
    expect(u.team_members_count).toBe(u.users);
    expect(u.users).toBeLessThanOrEqual(3);
  });
});
