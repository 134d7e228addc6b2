/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { BILLING, subscribedVendor, syncCatalog } from '../billing/billing-fixtures.js';
import { startStripeDouble, stripeEnv, type StripeDouble } from '../stripe-double/stripe-double.js';
import { stripeClient } from '../webhooks/webhook-fixtures.js';
import { describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import {
  clickForSuccess, confirmDialog, horizontalOverflow, listen, openBillingPage, PHONE, readBanner, readPlanCard, signIn, waitForPlan, waitForSuccess, type BillingPage,
} from './billing-browser.helpers.js';

// CONTRACT §8 in a real Chromium against the Stripe double: Checkout, an in-place plan change with its preview,
// cancel, reactivate and an add-on, each checked against what the API answers afterwards.
describeWithBrowser('billing page in Chromium: with Stripe', () => {
  let t: TestApp;
  let double: StripeDouble;
  let base: string;
  let browser: Browser;
  let open: BillingPage | undefined;

  beforeAll(async () => {
    double = await startStripeDouble();
    t = await createTestApp({ ...stripeEnv(double) });
    await syncCatalog(t);
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await open?.close();
    await browser?.close();
    await t?.close();
    await double?.close();
  });

  const subscription = async (v: SignedUpVendor) => (await api(t, v.token).get(`${BILLING}/subscription`)).body;

  /** Checkout is Stripe's page: the test stands in for the customer who pays, then comes back as Stripe sends them. */
  async function payAtCheckout(page: Page, v: SignedUpVendor, click: () => Promise<void>, deliverEvent = false): Promise<void> {
    const sessionId = new Promise<string>((resolve) => {
      const onRequest = (req: HTTPRequest) => {
        if (req.url().startsWith('https://checkout.stripe.test/')) {
          page.off('request', onRequest);
          resolve(req.url().split('/').pop()!);
        }
      };
      page.on('request', onRequest);
    });
    await click();
    const id = await sessionId;
    const { event } = double.completeCheckout(id);
    if (deliverEvent) {
      const { body, signature } = double.signedPayload(event);
      const hook = await request(t.http).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(body);
      expect(hook.status).toBe(200);
    }
    await page.goto(`${base}/vendor/${v.code}/billing?checkout=success&session_id=${id}`, { waitUntil: 'domcontentloaded' });
    await waitForSuccess(page);
    await waitForPlan(page);
  }

  it('takes a trial vendor through Checkout, a plan change, cancel, reactivate and an add-on', async () => {
    const v = await signUpVendor(t);
    open = await openBillingPage(browser, base, v.code);
    const { page, errors } = open;
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      // Stripe's hosted pages are not reachable from the test: answer them with a stand-in page.
      if (req.url().startsWith('https://checkout.stripe.test/')) void req.respond({ status: 200, contentType: 'text/html', body: '<p>Stripe Checkout</p>' });
      else void req.continue();
    });

    await withScreenshotOnFailure(page, 'stripe-flow', async () => {
      await signIn(page, v.email, v.password);

      // A trial without a Stripe subscription goes to Checkout; back from it, the page syncs and shows the plan.
      await payAtCheckout(page, v, () => page.click('#change-plan button[data-tier=professional]'));
      let sub = await subscription(v);
      expect(sub).toMatchObject({ tier: { code: 'professional' }, has_payment_method: true });
      let card = await readPlanCard(page);
      expect(card.tier).toBe(sub.tier.name);
      expect((await readBanner(page)).text).toMatch(/up to date/);

      // With a subscription: the prorated preview, then the change in place.
      await page.click('#change-plan button[data-tier=business]');
      const preview = await confirmDialog(page);
      expect(preview).toMatch(/Amount due/);
      await waitForSuccess(page);
      sub = await subscription(v);
      expect(sub.tier.code).toBe('business');
      expect((await readPlanCard(page)).tier).toBe('Business');
      expect((await readBanner(page)).text).toContain('Business');

      // Cancel at the period's end: dialog, banner and card name the API's end date; the badge says Cancelled.
      await page.click('#current-plan button[data-action=cancel]');
      const dialogDate = await page.waitForSelector('#confirm-dialog[open] time').then((el) => el!.evaluate((e) => e.getAttribute('datetime')));
      await confirmDialog(page);
      await waitForSuccess(page);
      sub = await subscription(v);
      expect(sub).toMatchObject({ cancel_at_period_end: true, ends_at: sub.period_end });
      expect(dialogDate).toBe(sub.ends_at);
      expect((await readBanner(page)).dates).toEqual([sub.ends_at]);
      card = await readPlanCard(page);
      expect(card.rows['Ends on']).toEqual([sub.ends_at]);
      expect(card.badgeStatus).toBe('cancelled');

      // Reactivate: with a card on file it renews at the period's end, as the API says.
      await clickForSuccess(page, '#current-plan button[data-action=reactivate]');
      sub = await subscription(v);
      expect(sub).toMatchObject({ cancel_at_period_end: false, ends_at: null });
      const banner = await readBanner(page);
      expect(banner.text).toMatch(/renews on/);
      expect(banner.dates).toEqual([sub.period_end]);
      expect((await readPlanCard(page)).badgeStatus).not.toBe('cancelled');

      // An add-on with a domain: Checkout, the webhook grants it, the page lists it; then cancel it.
      const domain = `${v.code}.example.com`;
      await page.type('#add-ons article[data-addon=domain] input[name=domain_name]', domain);
      await payAtCheckout(page, v, () => page.click('#add-ons article[data-addon=domain] button[data-action=buy]'), true);
      const mine = (await api(t, v.token).get(`${BILLING}/my-addons`)).body;
      expect(mine).toEqual([expect.objectContaining({ addon_code: 'domain', domain_name: domain, status: 'active' })]);
      const owned = await page.waitForSelector('#add-ons .owned li', { visible: true });
      expect(await owned!.evaluate((li) => (li as HTMLElement).innerText)).toContain(domain);

      await page.click('#add-ons .owned li button');
      await confirmDialog(page);
      await waitForSuccess(page);
      const after = (await api(t, v.token).get(`${BILLING}/my-addons`)).body;
      expect(after[0].status).not.toBe('active');

      // The same page at a phone's width: nothing wider than the screen.
      await page.setViewport(PHONE);
      await waitForPlan(page);
      expect((await horizontalOverflow(page)).widest).toEqual([]);
      expect(errors).toEqual([]);
    });
  });

  it('shows a cancellation scheduled in Stripe with cancel_at, on the period end or another date, and reactivates it', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const stripe = stripeClient(double);
    const periodEnd = double.state.subscriptions.get(v.subscriptionId)!.items.data[0].current_period_end;
    const page = await openBillingPage(browser, base, v.code);
    try {
      await withScreenshotOnFailure(page.page, 'stripe-cancel-at', async () => {
        await signIn(page.page, v.email, v.password);
        for (const cancelAt of [periodEnd, periodEnd - 3 * 86_400]) {
          // As the dashboard sets it: reported with cancel_at_period_end false; the page reads the API after /sync.
          await stripe.subscriptions.update(v.subscriptionId, { cancel_at: cancelAt });
          expect((await api(t, v.token).post(`${BILLING}/sync`).send({})).status).toBe(200);
          const sub = await subscription(v);
          const iso = new Date(cancelAt * 1000).toISOString();
          expect(sub).toMatchObject({ cancel_at_period_end: cancelAt === periodEnd, cancel_at: iso, ends_at: iso });
          await page.page.reload({ waitUntil: 'domcontentloaded' });
          await waitForPlan(page.page);
          const card = await readPlanCard(page.page);
          expect(card.rows['Ends on']).toEqual([iso]);
          expect(card.badgeStatus).toBe('cancelled');
          expect(await page.page.$('#current-plan button[data-action=reactivate]')).not.toBeNull();
        }
        await clickForSuccess(page.page, '#current-plan button[data-action=reactivate]');
        expect(await subscription(v)).toMatchObject({ cancel_at_period_end: false, cancel_at: null, ends_at: null });
        expect(double.state.subscriptions.get(v.subscriptionId)).toMatchObject({ cancel_at: null, cancel_at_period_end: false });
        expect((await readPlanCard(page.page)).badgeStatus).not.toBe('cancelled');
        expect(page.errors).toEqual([]);
      });
    } finally {
      await page.close();
    }
  });
});
