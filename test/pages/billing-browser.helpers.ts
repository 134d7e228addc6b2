/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { collectPageErrors, type PageErrorOptions } from '../support/browser.js';
import type { TestApp } from '../support/test-app.js';

export const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** The app on a real loopback port, for the browser (supertest's ephemeral listens are per request). */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface BillingPage {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openBillingPage(browser: Browser, base: string, code: string, opts: { viewport?: typeof PHONE } & PageErrorOptions = {}): Promise<BillingPage> {
  const page = await browser.newPage();
  if (opts.viewport) await page.setViewport(opts.viewport);
  const errors = collectPageErrors(page, opts);
  page.setDefaultTimeout(10_000);
  await page.goto(`${base}/vendor/${code}/billing`, { waitUntil: 'domcontentloaded' });
  return { page, errors, close: () => page.close() };
}

/** Signs in through the form, as a person would, and waits for the plan to show. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.waitForSelector('#login-form [name=email]', { visible: true });
  await page.type('#login-form [name=email]', email);
  await page.type('#login-form [name=password]', password);
  await page.click('#login-form button[type=submit]');
  await waitForPlan(page);
}

/** Waits until the current plan card is rendered (after any load). */
export async function waitForPlan(page: Page): Promise<void> {
  await page.waitForSelector('#current-plan .section-body:not([data-state]) [data-field=tier]', { visible: true });
}

/** Clicks a button whose action ends with a success banner (each action clears the last banner first). */
export async function clickForSuccess(page: Page, selector: string): Promise<void> {
  await page.click(selector);
  await waitForSuccess(page);
}

export async function waitForSuccess(page: Page): Promise<void> {
  await page.waitForSelector('#message[data-kind=success]:not([hidden])', { visible: true });
}

export async function confirmDialog(page: Page): Promise<string> {
  await page.waitForSelector('#confirm-dialog[open]', { visible: true });
  const text = await page.$eval('#confirm-dialog', (d) => (d as HTMLElement).innerText);
  await page.click('#confirm-ok');
  return text;
}

export interface PlanCard {
  tier: string;
  badge: string;
  badgeStatus: string;
  rows: Record<string, string[]>;
  text: string;
}

/** What the current plan card shows: its rows' <time datetime> values, the badge and the text. */
export async function readPlanCard(page: Page): Promise<PlanCard> {
  return page.$eval('#current-plan .section-body', (body) => {
    const rows: Record<string, string[]> = {};
    const dts = [...body.querySelectorAll('dt')];
    for (const dt of dts) {
      const dd = dt.nextElementSibling!;
      rows[dt.textContent!.trim()] = [...dd.querySelectorAll('time')].map((t) => t.getAttribute('datetime')!);
    }
    const badge = body.querySelector('.badge')!;
    return {
      tier: body.querySelector('[data-field=tier]')!.textContent!.trim(),
      badge: badge.textContent!.trim(),
      badgeStatus: badge.getAttribute('data-status')!,
      rows,
      text: (body as HTMLElement).innerText,
    };
  });
}

/** The banner: its kind, text and the ISO dates of its <time> elements. */
export async function readBanner(page: Page): Promise<{ hidden: boolean; kind: string; text: string; dates: string[] }> {
  return page.$eval('#message', (box) => ({
    hidden: (box as HTMLElement).hidden,
    kind: box.getAttribute('data-kind') ?? '',
    text: (box as HTMLElement).innerText,
    dates: [...box.querySelectorAll('time')].map((t) => t.getAttribute('datetime')!),
  }));
}

/** Wider than the screen anywhere? (the page must not scroll sideways at 390 px) */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; widest: string[] }> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const widest = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && (el as HTMLElement).offsetParent !== null)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`);
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest };
  });
}
