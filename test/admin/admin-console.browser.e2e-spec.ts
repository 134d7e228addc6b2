/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { collectPageErrors, describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { insertSubscription } from '../worker/subscription-rows.js';

const ADMIN = { email: 'ops@platform.test', password: 'admin-password-1' };
const DAY = 86_400_000;
/** Set to a folder to keep a screenshot of every view (for reviewing the console by eye). */
const SHOTS = process.env.ADMIN_CONSOLE_SCREENSHOTS;

// CONTRACT §8: the admin console in Debian's Chromium, on a desktop and at a phone's width.
describeWithBrowser('admin console in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shop: SignedUpVendor;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    await seed();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage();
    errors = collectPageErrors(page);
  });
  afterEach(() => page?.close());

  /** 90 days of growth up to today, a few vendors, a failed Stripe event, job runs and a live worker. */
  async function seed() {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let i = 0; i < 90; i++) {
      const day = new Date(today - (89 - i) * DAY).toISOString().slice(0, 10);
      // A small platform: about 16 active vendors 90 days ago, 38 today, so Small (50) is weeks away.
      const active = 16 + Math.round(0.25 * i + Math.sin(i / 3));
      await t.db.query(
        `INSERT INTO capacity_snapshots (snapshot_date, total_vendors, active_vendors, trial_vendors, paying_subscriptions, total_subscriptions,
                total_products, total_orders_month, total_team_members, db_size_mb, storage_used_gb)
         VALUES ($1, $2, $3, $4, $5, $2, $6, $7, $8, $9::numeric, $9::numeric / 1024)`,
        [day, active + 12, active, 20 + (i % 7), active - 20, 9000 + 85 * i, 2000 + 40 * i + (i % 30) * 15, active * 2, 180 + 1.5 * i],
      );
    }
    shop = await signUpVendor(t, { code: 'lantern-goods', name: 'Lantern Goods', email: 'owner@lantern.test' });
    const harbor = await signUpVendor(t, { code: 'harbor-tea', name: 'Harbor Tea Co', email: 'hello@harbor.test' });
    // A status change: the outbox gets a subscription.updated for the platform events view.
    await t.db.query(`UPDATE vendor_subscriptions SET cancel_at_period_end = true WHERE vendor_id = $1`, [harbor.vendorId]);
    await t.db.query(
      `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, error, payload, received_at) VALUES
         ('evt_failed_1', 'invoice.paid', 'failed', 3, 'vendor 999 not found', NULL, now() - interval '2 hours'),
         ('evt_ok_1', 'customer.subscription.updated', 'processed', 1, NULL, NULL, now() - interval '1 hour')`,
    );
    await t.db.query(
      `INSERT INTO job_runs (name, status, started_at, finished_at, rows_affected, details) VALUES
         ('capture-capacity-snapshot', 'succeeded', now() - interval '10 hours', now() - interval '10 hours', 1, '{"duration_ms": 41}'),
         ('reset-period-counters', 'succeeded', now() - interval '9 hours', now() - interval '9 hours', 3, '{"duration_ms": 12}')`,
    );
    // The live platform matches the latest snapshot: 36 more vendors, a few near their plans' product limit.
    for (let i = 0; i < 36; i++) {
      await insertSubscription(t.db, {
        tier_code: ['essential', 'professional', 'business'][i % 3], status: i % 4 === 0 ? 'trial' : 'active', trial_ends_at: new Date(Date.now() + 10 * DAY),
        period_start: new Date(Date.now() - 5 * DAY), period_end: new Date(Date.now() + 25 * DAY), products_count: i % 3 === 0 ? 150 + i : 40 + i, orders_this_period: 10 + i,
      });
    }
    await t.db.query(`INSERT INTO worker_heartbeats (worker_id, started_at, last_seen_at) VALUES ('worker-1:4242', now() - interval '3 hours', now())`);
  }

  async function signIn() {
    await page.goto(`${base}/admin`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#login-form', { visible: true });
    await page.type('#login-form input[name="email"]', ADMIN.email);
    await page.type('#login-form input[name="password"]', ADMIN.password);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#glance', { visible: true });
  }

  async function shot(name: string) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
  }

  /** Waits for a view to finish loading (the router clears aria-busy). */
  async function open(hash: string, ready: string) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(ready, { visible: true });
    await page.waitForFunction(() => !document.querySelector('#view[aria-busy]'));
  }

  it('signs in as the admin and draws the growth charts from the snapshots, with fitted line and projection', async () => {
    await withScreenshotOnFailure(page, 'admin-overview', async () => {
      await signIn();
      await page.waitForSelector('.chart[data-metric="active_vendors"] canvas');
      const chart = await page.$eval('.chart[data-metric="active_vendors"]', (el) => {
        const canvas = el.querySelector('canvas')!;
        const ctx = canvas.getContext('2d')!;
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return { points: el.getAttribute('data-points'), width: canvas.width, painted, caption: el.querySelector('figcaption')!.textContent };
      });
      expect(chart.points).toBe('90');
      expect(chart.width).toBeGreaterThan(200);
      expect(chart.painted).toBeGreaterThan(500);
      expect(chart.caption).toMatch(/\+0\.\d+\/day · r² [01]\.\d\d · in 30 days/);
      expect(await page.$$eval('.chart canvas', (c) => c.length)).toBe(4);
      const glance = await page.$eval('#glance', (el) => el.textContent);
      expect(glance).toContain('Worker');
      expect(glance).toMatch(/1 failed/);
      expect(await page.$eval('#recommendations', (el) => el.textContent)).toMatch(/around \d{4}-\d\d-\d\d/);
      await shot('overview-desktop');
      expect(errors).toEqual([]);
    });
  });

  it('finds a vendor, extends its trial by 14 days after a confirmation, and shows the new date', async () => {
    await withScreenshotOnFailure(page, 'admin-extend-trial', async () => {
      await signIn();
      await open('#/vendors', '#vendor-search');
      await page.type('#vendor-search input[name="q"]', 'lantern');
      await page.click('#vendor-search button[type="submit"]');
      await page.waitForFunction(() => document.querySelectorAll('#vendor-results a.vendor-link').length === 1);
      await shot('vendors-desktop');
      await page.click('#vendor-results a.vendor-link');
      await page.waitForSelector('#extend-trial-form', { visible: true });

      const [before] = await t.db.query(`SELECT trial_ends_at FROM vendor_subscriptions WHERE vendor_id = $1`, [shop.vendorId]);
      const expected = new Date(before.trial_ends_at.getTime() + 14 * DAY).toISOString();
      await page.$eval('#extend-trial-form input[name="days"]', (el) => { (el as HTMLInputElement).value = ''; });
      await page.type('#extend-trial-form input[name="days"]', '14');
      await page.click('#extend-trial-form button[type="submit"]');
      await page.waitForSelector('#confirm-dialog[open]');
      expect(await page.$eval('#confirm-title', (el) => el.textContent)).toBe("Extend Lantern Goods's trial by 14 days?");
      await page.click('#confirm-ok');
      await page.waitForSelector('#message.success', { visible: true });

      const shown = `${expected.slice(0, 16).replace('T', ' ')} UTC`;
      expect(await page.$eval('#message', (el) => el.textContent)).toContain(shown);
      expect(await page.$eval('#trial-ends-at', (el) => el.textContent)).toBe(shown);
      expect(await page.$eval('#vendor-audit', (el) => el.textContent)).toContain('Extend trial');
      const [after] = await t.db.query(`SELECT trial_ends_at FROM vendor_subscriptions WHERE vendor_id = $1`, [shop.vendorId]);
      expect(after.trial_ends_at.toISOString()).toBe(expected);
      await shot('vendor-page-desktop');
      expect(errors).toEqual([]);
    });
  });

  it('shows the Stripe ledger, platform events and the jobs with the worker alive', async () => {
    await withScreenshotOnFailure(page, 'admin-ledgers-jobs', async () => {
      await signIn();
      await open('#/stripe-events', '#stripe-events table');
      expect(await page.$$eval('#stripe-events button', (b) => b.map((x) => x.textContent))).toEqual(['Filter', 'Replay']);
      await shot('stripe-events-desktop');
      await open('#/platform-events', '#platform-events');
      await page.waitForSelector('#platform-events table');
      await shot('platform-events-desktop');
      await open('#/jobs', '#schedule table');
      expect(await page.$eval('#worker', (el) => el.textContent)).toMatch(/Alive/);
      expect(await page.$$eval('#schedule tbody tr', (r) => r.length)).toBe(6);
      await shot('jobs-desktop');
      expect(errors.filter((e) => !/platform-events/.test(e))).toEqual([]);
    });
  });

  it('redelivers the failed platform events after a confirmation that says how many', async () => {
    await withScreenshotOnFailure(page, 'admin-platform-redeliver', async () => {
      // The seeded outbox event, given up on (no receiver is configured here, so it stays pending once queued).
      await t.db.query(`UPDATE platform_events SET status = 'failed', last_error = 'HTTP 503'`);
      const [{ n: failed }] = await t.db.query(`SELECT count(*)::int AS n FROM platform_events WHERE status = 'failed'`);
      expect(failed).toBeGreaterThan(0);
      await signIn();
      await open('#/platform-events', '#platform-events table');
      await page.click('#redeliver-failed button[type="submit"]');
      await page.waitForSelector('#confirm-dialog[open]');
      expect(await page.$eval('#confirm-title', (el) => el.textContent)).toBe(failed === 1 ? 'Redeliver 1 failed event?' : `Redeliver ${failed} failed events?`);
      await shot('platform-events-redeliver-confirm');
      await page.click('#confirm-ok');
      await page.waitForSelector('#message.success', { visible: true });
      expect(await page.$eval('#message', (el) => el.textContent)).toMatch(/^1 failed event queued|^\d+ failed events queued/);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM platform_events WHERE status = 'failed'`))[0].n).toBe(0);
      expect(errors).toEqual([]);
    });
  });

  // The shared fetch wrapper (/assets/api-client.js) with the console's session and wording.
  it('goes back to sign-in when the session has ended, and says so when the server cannot be reached', async () => {
    await withScreenshotOnFailure(page, 'admin-session-network', async () => {
      await signIn();
      await page.evaluate(() => sessionStorage.setItem('vb.admin.token', 'expired-token'));
      await page.reload({ waitUntil: 'networkidle0' });
      await page.waitForSelector('#login-form', { visible: true });
      expect(await page.$eval('#message', (el) => [el.className, el.textContent])).toEqual(['message info', 'Your session has ended. Please sign in again.']);
      expect(await page.evaluate(() => [sessionStorage.getItem('vb.admin.token'), sessionStorage.getItem('vb.admin.account')])).toEqual([null, null]);
      expect(await page.$eval('#app', (el) => (el as HTMLElement).hidden)).toBe(true);

      await page.setRequestInterception(true);
      page.on('request', (req) => void (req.url().includes('/api/v1/') ? req.abort('failed') : req.continue()));
      await page.type('#login-form input[name="email"]', ADMIN.email);
      await page.type('#login-form input[name="password"]', ADMIN.password);
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('#message.error', { visible: true });
      expect(await page.$eval('#message', (el) => el.textContent)).toBe('The server could not be reached.');
      // The aborted request (and Chromium's line about it) and nothing else: no exception escaped the page.
      expect(errors).toContain(`request: POST ${base}/api/v1/auth/login net::ERR_FAILED`);
      expect(errors.filter((e) => !e.includes('net::ERR_FAILED'))).toEqual([]);
    });
  });

  it('has no horizontal overflow at 390 px on any view', async () => {
    await withScreenshotOnFailure(page, 'admin-390', async () => {
      await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
      await signIn();
      await page.waitForSelector('.chart canvas');
      const views: Array<[string, string]> = [
        ['#/', '.chart canvas'], ['#/vendors', '#vendor-results table'], [`#/vendors/${shop.vendorId}`, '#extend-trial-form'],
        ['#/stripe-events', '#stripe-events table'], ['#/platform-events', '#platform-events table'], ['#/jobs', '#schedule table'],
      ];
      for (const [hash, ready] of views) {
        await open(hash, ready);
        const width = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
        expect({ hash, width }).toEqual({ hash, width: 390 });
        await shot(`mobile-${hash.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'overview'}`);
      }
      expect(errors.filter((e) => !/platform-events/.test(e))).toEqual([]);
    });
  });
});
