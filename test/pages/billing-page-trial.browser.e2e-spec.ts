/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import type { Browser } from 'puppeteer-core';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import {
  clickForSuccess, confirmDialog, horizontalOverflow, listen, openBillingPage, PHONE, readBanner, readPlanCard, signIn, waitForSuccess, type BillingPage,
} from './billing-browser.helpers.js';

const BILLING = '/api/v1/vendor/billing';
const SALES = 'mailto:sales@platform.test?subject=Enterprise';

// CONTRACT §8 in a real Chromium, on a platform without Stripe: a trial vendor changes plan, cancels and
// reactivates from the page, and every date, badge and message agrees with the API's answers.
describeWithBrowser('billing page in Chromium: a trial without Stripe', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let open: BillingPage | undefined;

  beforeAll(async () => {
    t = await createTestApp({ SALES_CONTACT_URL: SALES });
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const subscription = async (v: SignedUpVendor) => (await api(t, v.token).get(`${BILLING}/subscription`)).body;

  it('changes plan, cancels and reactivates a trial; banner, card and badge agree with the API', async () => {
    const v = await signUpVendor(t);
    // Without Stripe the preview and the portal answer 503 PAYMENT_SYSTEM_NOT_CONFIGURED, as the contract says.
    open = await openBillingPage(browser, base, v.code, { allowServerError: (url, status) => status === 503 && /\/(upcoming-invoice|portal)/.test(url) });
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-flow', async () => {
      await signIn(page, v.email, v.password);
      let sub = await subscription(v);
      let card = await readPlanCard(page);
      expect(card).toMatchObject({ tier: sub.tier.name, badgeStatus: 'trial', badge: 'Trial' });
      expect(card.rows['Trial ends']).toEqual([sub.trial_ends_at]);

      // Plan change without Stripe: the trial moves to Professional here (the API allows it locally).
      await page.click('#change-plan button[data-tier=professional]');
      const question = await confirmDialog(page);
      expect(question).toContain('Nothing is charged now');
      await waitForSuccess(page);
      sub = await subscription(v);
      expect(sub.tier.code).toBe('professional');
      expect((await readPlanCard(page)).tier).toBe('Professional');
      expect((await readBanner(page)).text).toContain('Professional');

      // Cancel: the dialog, the banner, the card and the badge all name the API's end date (the trial's end).
      await page.click('#current-plan button[data-action=cancel]');
      const dialogDate = await page.waitForSelector('#confirm-dialog[open] time').then((el) => el!.evaluate((e) => e.getAttribute('datetime')));
      await confirmDialog(page);
      await waitForSuccess(page);
      sub = await subscription(v);
      expect(sub).toMatchObject({ cancel_at_period_end: true, ends_at: sub.trial_ends_at });
      card = await readPlanCard(page);
      const banner = await readBanner(page);
      expect(dialogDate).toBe(sub.ends_at);
      expect(banner.dates).toEqual([sub.ends_at]);
      expect(card.rows['Ends on']).toEqual([sub.ends_at]);
      expect(card).toMatchObject({ badgeStatus: 'cancelled', badge: 'Cancelled' });
      expect(card.text).not.toMatch(/Trial ends/);

      // Reactivate without a card: the trial still ends; nothing says it renews.
      await clickForSuccess(page, '#current-plan button[data-action=reactivate]');
      sub = await subscription(v);
      expect(sub).toMatchObject({ cancel_at_period_end: false, status: 'trial', has_payment_method: false });
      const after = await readBanner(page);
      expect(after.text).not.toMatch(/renew/i);
      expect(after.dates).toEqual([sub.trial_ends_at]);
      card = await readPlanCard(page);
      expect(card).toMatchObject({ badgeStatus: 'trial', badge: 'Trial' });
      expect(card.rows['Trial ends']).toEqual([sub.trial_ends_at]);

      // A new action clears the last banner before it starts.
      await page.click('#payment-method button[data-action=portal]');
      await page.waitForFunction(() => !document.querySelector('#message')?.textContent?.includes('reactivated'));
      expect(errors).toEqual([]);
    });
  });

  it('links Enterprise to SALES_CONTACT_URL', async () => {
    const v = await signUpVendor(t);
    open = await openBillingPage(browser, base, v.code);
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-enterprise-contact', async () => {
      await signIn(page, v.email, v.password);
      const link = await page.waitForSelector('#change-plan a[data-tier=enterprise]', { visible: true });
      expect(await link!.evaluate((a) => [a.textContent, a.getAttribute('href')])).toEqual(['Contact sales', SALES]);
      const tiers = (await api(t, v.token).get(`${BILLING}/tiers`)).body;
      expect(tiers.find((x: { code: string }) => x.code === 'enterprise').contact_url).toBe(SALES);
      expect(errors).toEqual([]);
    });
  });

  it('shows the empty-domain error under the field, with the field on screen', async () => {
    const v = await signUpVendor(t);
    open = await openBillingPage(browser, base, v.code, { viewport: PHONE });
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-domain-error', async () => {
      await signIn(page, v.email, v.password);
      const buy = '#add-ons article[data-addon=domain] button[data-action=buy]';
      await page.waitForSelector(buy, { visible: true });
      await page.click(buy);
      const error = await page.waitForSelector('#add-ons article[data-addon=domain] .field-error', { visible: true });
      expect(await error!.evaluate((e) => e.textContent)).toMatch(/domain name/i);
      const state = await page.$eval('#add-ons article[data-addon=domain] input[name=domain_name]', (input) => {
        const r = input.getBoundingClientRect();
        return { focused: document.activeElement === input, invalid: input.getAttribute('aria-invalid'), onScreen: r.top >= 0 && r.bottom <= window.innerHeight };
      });
      expect(state).toEqual({ focused: true, invalid: 'true', onScreen: true });
      expect((await readBanner(page)).hidden).toBe(true);
      expect(errors).toEqual([]);
    });
  });

  it('fits a 390 px phone: no sideways scroll, the invoice table stacked', async () => {
    const v = await signUpVendor(t);
    await t.db.query(
      `INSERT INTO billing_history (vendor_id, stripe_invoice_id, invoice_number, invoice_date, total_cents, amount_paid_cents, currency, status, pdf_url, hosted_url)
       VALUES ($1, 'in_phone_1', 'INV-0001-LONG-NUMBER', now(), 129900, 129900, 'eur', 'paid', 'https://pay.stripe.test/in_phone_1.pdf', 'https://pay.stripe.test/in_phone_1')`,
      [v.vendorId],
    );
    open = await openBillingPage(browser, base, v.code, { viewport: PHONE });
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-phone', async () => {
      expect(await horizontalOverflow(page)).toMatchObject({ widest: [] });
      await signIn(page, v.email, v.password);
      await page.waitForSelector('#invoice-history table.invoices', { visible: true });
      const overflow = await horizontalOverflow(page);
      expect(overflow.widest).toEqual([]);
      expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.clientWidth);
      // The links are on screen, not behind a sideways scroll.
      const link = await page.$eval('#invoice-history a[href$=".pdf"]', (a) => a.getBoundingClientRect().right);
      expect(link).toBeLessThanOrEqual(PHONE.width);
      expect(errors).toEqual([]);
    });
  });

  // The shared fetch wrapper (apps/api/public/api-client.js) with this page's session and wording.
  it('goes back to sign-in when the session has ended, and says so when the server cannot be reached', async () => {
    const v = await signUpVendor(t);
    open = await openBillingPage(browser, base, v.code);
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-session-network', async () => {
      await signIn(page, v.email, v.password);
      // A token the API no longer accepts: the page's first calls answer 401.
      await page.evaluate(() => sessionStorage.setItem('vb.billing.token', 'expired-token'));
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#login-form [name=email]', { visible: true });
      expect(await readBanner(page)).toMatchObject({ hidden: false, kind: 'info', text: 'Your session has ended. Please sign in again.' });
      expect(await page.evaluate(() => [sessionStorage.getItem('vb.billing.token'), sessionStorage.getItem('vb.billing.account')])).toEqual([null, null]);
      expect(await page.$eval('#billing', (el) => (el as HTMLElement).hidden)).toBe(true);

      await page.setRequestInterception(true);
      page.on('request', (req) => void (req.url().includes('/api/v1/') ? req.abort('failed') : req.continue()));
      await page.type('#login-form [name=email]', v.email);
      await page.type('#login-form [name=password]', v.password);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#message[data-kind=error]:not([hidden])', { visible: true });
      expect((await readBanner(page)).text).toBe('The server could not be reached. Check your connection and try again.');
      // The aborted request (and Chromium's line about it) and nothing else: no exception escaped the page.
      expect(errors).toContain(`request: POST ${base}/api/v1/auth/login net::ERR_FAILED`);
      expect(errors.filter((e) => !e.includes('net::ERR_FAILED'))).toEqual([]);
    });
  });

  it('shows a member the plan without the owner-only buttons', async () => {
    const v = await signUpVendor(t);
    expect((await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'professional' })).status).toBe(200); // room for a member
    const member = { email: `member-${v.code}@shop.test`, password: 'member-password-1' };
    expect((await api(t, v.token).post('/api/v1/vendor/team').send(member)).status).toBe(201);
    const login = await api(t).post('/api/v1/auth/login').send(member);
    // vendor_role arrives with the owner/member split (CONTRACT §3); before it, every vendor user is shown as owner.
    if (login.body.user.vendor_role === undefined) return;
    expect(login.body.user.vendor_role).toBe('member');
    open = await openBillingPage(browser, base, v.code);
    const { page, errors } = open;
    await withScreenshotOnFailure(page, 'trial-member', async () => {
      await signIn(page, member.email, member.password);
      expect((await readPlanCard(page)).tier).toBe('Professional');
      await page.waitForSelector('#add-ons article[data-addon=domain]', { visible: true });
      const ownerOnly = await page.$$eval('[data-action=cancel], [data-action=reactivate], [data-action=portal], [data-action=buy], #change-plan button[data-tier]', (els) => els.length);
      expect(ownerOnly).toBe(0);
      expect(await page.$eval('#current-plan', (el) => (el as HTMLElement).innerText)).toContain('Only the shop owner');
      expect(errors).toEqual([]);
    });
  });
});
