/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
import type { Browser } from 'puppeteer-core';
import { CatalogSyncService } from '@app/billing';
import { MeterEventSenderService } from '@app/subscription';
import { BILLING, subscribedVendor } from '../billing/billing-fixtures.js';
import { insertTier } from '../limits/limits.helpers.js';
import { startStripeDouble, stripeEnv, type StripeDouble } from '../stripe-double/stripe-double.js';
import { describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { listen, openBillingPage, signIn, type BillingPage } from './billing-browser.helpers.js';

// CONTRACT §12 on the billing page in a real Chromium against the Stripe double: the period's overage under the
// orders meter, and the overage line of the upcoming invoice as Stripe's preview bills it.
describeWithBrowser('billing page in Chromium: overage', () => {
  let t: TestApp;
  let double: StripeDouble;
  let base: string;
  let browser: Browser;
  let open: BillingPage | undefined;

  beforeAll(async () => {
    double = await startStripeDouble();
    t = await createTestApp({ ...stripeEnv(double) });
    await insertTier(t, 'page-ovg', { products: 5, orders: 1, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 125, price_monthly_cents = 2000 WHERE code = 'page-ovg'`);
    await t.app.get(CatalogSyncService).syncCatalog();
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await open?.close();
    await browser?.close();
    await t?.close();
    await double?.close();
  });

  it('shows the period\'s overage and what the next invoice bills for it', async () => {
    const v = await subscribedVendor(t, double, 'page-ovg');
    for (let i = 0; i < 4; i++) expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 500 })).status).toBe(201);
    expect(await t.app.get(MeterEventSenderService).sendDue()).toBe(3);
    const upcoming = (await api(t, v.token).get(`${BILLING}/upcoming-invoice`)).body;
    const line = upcoming.lines.find((l: { overage: boolean }) => l.overage);
    expect(line).toMatchObject({ quantity: 3, amount_cents: 375 });

    open = await openBillingPage(browser, base, v.code);
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'overage', async () => {
      await signIn(page, v.email, v.password);
      await page.waitForSelector('[data-meter=orders] [data-overage]');
      expect(await page.$eval('[data-meter=orders] [data-overage] .meter-label', (e) => e.textContent)).toMatch(/^Overage this period: 3 orders/);
      await page.waitForFunction(() => /On your next invoice/.test(document.querySelector('[data-overage-invoice]')?.textContent ?? ''));
      const text = await page.$eval('[data-overage-invoice]', (e) => e.textContent!);
      expect(text).toMatch(/^On your next invoice: 3 orders, /);
      expect(text).toMatch(/3[.,]75/);
      expect(await page.$('form[data-form=overage-cap]')).not.toBeNull();
    });
    expect(errors).toEqual([]);
  });
});
