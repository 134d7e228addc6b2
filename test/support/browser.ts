import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Real-browser tests: Debian's Chromium driven by puppeteer-core (which never downloads a browser). Shared by
 * every page's browser test (billing page, admin console); keep this API stable:
 *
 *   describeWithBrowser('…', () => { … })   // skips without Chromium locally, FAILS without it in CI (CI=true)
 *   const browser = await launchBrowser();  // headless, its own temp profile, removed on close
 *   await screenshotOnFailure(page, 'name') // test-results/screenshots/name.png (gitignored); returns the path
 *   const errors = collectPageErrors(page)  // console errors, exceptions, failed requests, 5xx answers, as they come
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export const SCREENSHOT_DIR = resolve('test-results', 'screenshots');

/** CHROMIUM_PATH, else Debian's chromium; null when none is installed. */
export function chromiumPath(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox', // CI and containers run as root, where Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage', // containers' /dev/shm is 64 MB
  '--lang=en-US',
];

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH).');
  const userDataDir = mkdtempSync(join(tmpdir(), 'vb-chromium-'));
  try {
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir,
      args: CHROMIUM_FLAGS,
      env: { ...process.env, LANG: 'en_US.UTF-8', TZ: 'UTC' },
      defaultViewport: { width: 1280, height: 900 },
    });
    // The profile goes when the browser does: after close() (Chromium may still be flushing it, hence the
    // retries) and, should it crash, when it disconnects.
    const removeProfile = () => rm(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined);
    browser.once('disconnected', () => void removeProfile());
    const close = browser.close.bind(browser);
    browser.close = async () => {
      await close();
      await removeProfile();
    };
    return browser;
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined);
    throw error;
  }
}

/** A screenshot of the page as it is now, for a failed test; never throws (the test's own error matters). */
export async function screenshotOnFailure(page: Page, name: string): Promise<string | undefined> {
  try {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`) as `${string}.png`;
    await page.screenshot({ path, fullPage: true });
    return path;
  } catch {
    return undefined;
  }
}

/** Runs a step; if it throws, keeps a screenshot named for it and rethrows. */
export async function withScreenshotOnFailure<T>(page: Page, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const path = await screenshotOnFailure(page, name);
    if (path && error instanceof Error) error.message += `\n(screenshot: ${path})`;
    throw error;
  }
}

export interface PageErrorOptions {
  /** A 5xx answer the test expects (e.g. 503 PAYMENT_SYSTEM_NOT_CONFIGURED without Stripe): not an error. */
  allowServerError?: (url: string, status: number) => boolean;
}

/**
 * Everything the page reports as broken from now on: console errors, uncaught exceptions, failed requests and
 * 5xx answers. Chromium's own "Failed to load resource: … status of N" console line is left out: it echoes an HTTP
 * answer the page handles (a 401 on a wrong password, a 409); 5xx answers are recorded from the responses instead.
 */
export function collectPageErrors(page: Page, options: PageErrorOptions = {}): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`exception: ${err instanceof Error ? err.message : String(err)}`));
  page.on('requestfailed', (req) => {
    // A navigation away (Checkout redirect) aborts the page's pending requests; that is not a failure.
    if (req.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500 && !options.allowServerError?.(res.url(), res.status())) errors.push(`http: ${res.request().method()} ${res.url()} ${res.status()}`);
  });
  return errors;
}

/**
 * `describe` for a browser test file: without Chromium it is skipped locally, but in CI (CI=true) it fails, so a
 * CI image without a browser cannot pass silently.
 */
export function describeWithBrowser(name: string, body: () => void): void {
  if (chromiumPath()) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => {
      it('needs Chromium (CI=true): install it with apt-get install chromium or set CHROMIUM_PATH', () => {
        throw new Error('Chromium is not installed: browser tests cannot run in CI without it.');
      });
    });
  }
  describe.skip(`${name} (Chromium not installed)`, body);
}
