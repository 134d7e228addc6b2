/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import { PriceMigrationRunner } from '@app/subscription';
import type { Browser, Page } from 'puppeteer-core';
import { subscribedVendor, syncCatalog, type SubscribedVendor } from '../billing/billing-fixtures.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { confirmDialog, listen, openBillingPage, PHONE, signIn as signInVendor } from '../pages/billing-browser.helpers.js';
import { collectPageErrors, describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { api } from '../support/test-app.js';

// CONTRACT §11 in Debian's Chromium: the console's Price migrations view previews, asks, starts and shows the
// worker's progress; the vendor's billing page then says what its plan will cost and from when.
describeWithBrowser('admin console: price migrations', () => {
  const { t, double } = useStripeTestApp({ ...ADMIN_ENV, PRICE_MIGRATION_REQUESTS_PER_SECOND: '500' });
  let base: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let vendors: SubscribedVendor[];

  beforeAll(async () => {
    base = await listen(t);
    await syncCatalog(t);
    vendors = [];
    for (let i = 0; i < 3; i++) vendors.push(await subscribedVendor(t, double, 'professional'));
    expect((await api(t, await adminToken(t)).patch('/api/v1/admin/subscription-tiers/professional').send({ price_monthly_cents: 10900 })).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());
  beforeEach(async () => {
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    errors = collectPageErrors(page);
  });
  afterEach(() => page?.close());

  async function signIn() {
    await page.goto(`${base}/admin`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#login-form', { visible: true });
    await page.type('#login-form input[name="email"]', ADMIN_ENV.ADMIN_EMAIL);
    await page.type('#login-form input[name="password"]', ADMIN_ENV.ADMIN_PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#glance', { visible: true });
  }

  it('previews the move and its MRR change, asks, starts it and shows the worker\'s progress to the end', async () => {
    await withScreenshotOnFailure(page, 'admin-price-migrations', async () => {
      await signIn();
      await page.click('#nav a[data-nav="price-migrations"]');
      await page.waitForSelector('#price-migration-form', { visible: true });
      await page.select('#price-migration-form select[name="tier_code"]', 'professional');
      await page.click('#price-migration-form button[type="submit"]');
      await page.waitForSelector('#preview-summary', { visible: true });
      const summary = await page.$eval('#preview-summary', (p) => (p as HTMLElement).innerText);
      expect(summary).toMatch(/^3 vendors move from €99\.00 \(3\) to €109\.00 per month/);
      expect(await page.$eval('#preview-mrr', (s) => s.textContent)).toBe('+€30.00');
      expect(await page.$$eval('#preview tbody tr', (rows) => rows.length)).toBe(3);

      await page.click('#start-price-migration');
      expect(await confirmDialog(page)).toMatch(/Move 3 vendors to €109\.00\?/);
      await page.waitForSelector('#price-migration', { visible: true });
      expect(await page.evaluate(() => location.hash)).toMatch(/^#\/price-migrations\/\d+$/);

      await t.app.get(PriceMigrationRunner).runUntilIdle();
      await page.waitForFunction(() => document.querySelector('#migration-status')?.textContent === 'Completed', { timeout: 10_000 });
      expect(await page.$eval('#price-migration [role="meter"]', (m) => m.getAttribute('aria-valuenow'))).toBe('3');
      await page.click('#price-migration a[href="#/price-migrations"]');
      await page.waitForSelector('#price-migrations tbody tr', { visible: true });
      expect(await page.$eval('#price-migrations tbody tr', (r) => (r as HTMLElement).innerText)).toMatch(/professional \(monthly\)\s+€109\.00\s+30 days\s+Completed\s+3 of 3/);
      expect(errors).toEqual([]);
    });
  });

  it('fits a phone\'s width, and the vendor\'s billing page says what its plan will cost and from when', async () => {
    await page.setViewport(PHONE);
    await signIn();
    await page.evaluate(() => { location.hash = '#/price-migrations'; });
    await page.waitForSelector('#price-migration-form', { visible: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

    const vendor = vendors[0];
    const billing = await openBillingPage(browser, base, vendor.code, { viewport: PHONE });
    try {
      await signInVendor(billing.page, vendor.email, vendor.password);
      const notice = await billing.page.$eval('[data-field="price-change"]', (p) => (p as HTMLElement).innerText);
      expect(notice).toMatch(/^Your plan's price changes to €109\.00 per month from your renewal on .+\. Until then you pay €99\.00\.$/);
      expect(await billing.page.$eval('[data-field="price"]', (p) => p.textContent)).toBe('€99.00 per month');
      expect(billing.errors).toEqual([]);
    } finally {
      await billing.close();
    }
  });
});
