import { signUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { BILLING, sentSince, subscribedVendor, subscriptionRow, syncCatalog } from './billing-fixtures.js';

describe('billing: cancel and reactivate', () => {
  const { t, double } = useStripeTestApp();

  beforeAll(async () => {
    await syncCatalog(t);
  });
  afterEach(() => t.clock.reset());

  it('cancels at the end of the period by default, and reactivates before it ends', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const before = await subscriptionRow(t, v.vendorId);
    const from = double.requests.length;

    const res = await api(t, v.token).post(`${BILLING}/cancel`).send({ reason: 'Too expensive' });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), effective_date: before.period_end.toISOString() });
    const [sent] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`);
    expect(sent.params).toEqual({ cancel_at_period_end: 'true', cancellation_details: { comment: 'Too expensive' } });
    expect(sent.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
    expect(double.state.subscriptions.get(v.subscriptionId)!.cancel_at_period_end).toBe(true);
    const cancelled = await subscriptionRow(t, v.vendorId);
    expect(cancelled).toMatchObject({ status: 'active', cancel_at_period_end: true, cancellation_reason: 'Too expensive' });
    expect(cancelled.cancelled_at).toBeInstanceOf(Date);
    expect((await api(t, v.token).get(`${BILLING}/subscription`)).body).toMatchObject({ cancel_at_period_end: true, status: 'active' });

    const reactivated = await api(t, v.token).post(`${BILLING}/reactivate`).send({});
    expect(reactivated.status).toBe(200);
    expect(reactivated.body).toEqual({ message: expect.any(String) });
    const [undo] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`).slice(1);
    expect(undo.params).toEqual({ cancel_at_period_end: 'false' });
    expect(undo.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
    expect(double.state.subscriptions.get(v.subscriptionId)!.cancel_at_period_end).toBe(false);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ cancel_at_period_end: false, cancelled_at: null, cancellation_reason: null });

    // A second cancel after the reactivation is a new request to Stripe, not a replay of the first.
    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({})).status).toBe(200);
    const keys = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`).map((r) => r.idempotencyKey);
    expect(keys[2]).not.toBe(keys[0]);
    expect(double.state.subscriptions.get(v.subscriptionId)!.cancel_at_period_end).toBe(true);
  });

  it('cancels immediately in Stripe and locally when asked', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    const from = double.requests.length;

    const res = await api(t, v.token).post(`${BILLING}/cancel`).send({ immediately: true, reason: 'closing the shop' });

    expect(res.status).toBe(200);
    expect(Math.abs(new Date(res.body.effective_date).getTime() - Date.now())).toBeLessThan(10_000);
    const [sent] = sentSince(double, from, 'DELETE', `/v1/subscriptions/${v.subscriptionId}`);
    expect(sent.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
    expect(double.state.subscriptions.get(v.subscriptionId)!.status).toBe('canceled');
    const row = await subscriptionRow(t, v.vendorId);
    expect(row).toMatchObject({ status: 'cancelled', cancel_at_period_end: false, cancellation_reason: 'closing the shop' });
    expect(row.period_end.getTime()).toBeLessThanOrEqual(Date.now());

    const reactivate = await api(t, v.token).post(`${BILLING}/reactivate`).send({});
    expect(reactivate.status).toBe(400);
    expect(reactivate.body.error_code).toBe('SUBSCRIPTION_NOT_CANCELLED');
    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({})).status).toBe(409);
  });

  it('refuses to reactivate a subscription that is not cancelled, or whose period has ended', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/reactivate`).send({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status_code: 400, error_code: 'SUBSCRIPTION_NOT_CANCELLED' });

    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({})).status).toBe(200);
    const row = await subscriptionRow(t, v.vendorId);
    t.clock.set(new Date(row.period_end.getTime() + 60_000));
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({})).body.error_code).toBe('SUBSCRIPTION_NOT_CANCELLED');
    expect(sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`)).toHaveLength(1);
    expect((await subscriptionRow(t, v.vendorId)).cancel_at_period_end).toBe(true);
  });

  it('cancels and reactivates a trial without Stripe, effective when the trial ends', async () => {
    const v = await signUpVendor(t);
    const row = await subscriptionRow(t, v.vendorId);
    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/cancel`).send({});
    expect(res.status).toBe(200);
    expect(res.body.effective_date).toBe(row.trial_ends_at.toISOString());
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'trial', cancel_at_period_end: true });
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({})).status).toBe(200);
    expect((await subscriptionRow(t, v.vendorId)).cancel_at_period_end).toBe(false);
    expect(double.requests.length).toBe(from);
  });

  it('changes nothing locally when Stripe fails to cancel (502)', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    double.failNext({ method: 'POST', path: `/v1/subscriptions/${v.subscriptionId}`, status: 400, code: 'resource_missing' });
    const res = await api(t, v.token).post(`${BILLING}/cancel`).send({ reason: 'x' });
    expect(res.status).toBe(502);
    expect(res.body.error_code).toBe('PAYMENT_PROVIDER_ERROR');
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'active', cancel_at_period_end: false, cancelled_at: null, cancellation_reason: null });

    double.failNext({ method: 'DELETE', path: `/v1/subscriptions/${v.subscriptionId}`, status: 503, times: 3 });
    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({ immediately: true })).status).toBe(502);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'active', cancel_at_period_end: false });
  });

  it('refuses a body of the wrong type', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post(`${BILLING}/cancel`).send({ immediately: 'yes', reason: 42 });
    expect(res.status).toBe(400);
    expect(res.body.details.errors.map((e: { field: string }) => e.field).sort()).toEqual(['immediately', 'reason']);
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({ now: true })).status).toBe(400);
  });
});
