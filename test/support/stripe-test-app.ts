import { StripeDouble, stripeEnv } from '../stripe-double/stripe-double.js';
import { createTestApp, type TestApp } from './test-app.js';

export interface StripeTestApp {
  /** The API on a fresh database with the real SDK pointed at `double`; its fields are set from beforeAll on. */
  t: TestApp;
  /** The Stripe double; listening from beforeAll on. */
  double: StripeDouble;
}

/**
 * The set-up of a test file that runs the API against the Stripe double: beforeAll starts the double and creates the
 * app with `stripeEnv(double)` plus `env` (admin credentials, STRIPE_TIMEOUT_MS, …); afterAll closes the app, then
 * the double. Call it first in the describe: hooks run in the order they are registered, so the file's own
 * beforeAll (sync the catalog, sign in) already has the app.
 *
 * `t` and `double` stay the same objects for the whole file (beforeAll fills `t` in place), so a file can take them
 * apart once: `const { t, double } = useStripeTestApp();`.
 */
export function useStripeTestApp(env: Record<string, string | undefined> = {}): StripeTestApp {
  const double = new StripeDouble();
  const t = {} as TestApp;
  let listening = false;
  let app: TestApp | undefined;
  beforeAll(async () => {
    await double.listen();
    listening = true;
    app = await createTestApp({ ...stripeEnv(double), ...env });
    Object.assign(t, app);
  });
  afterAll(async () => {
    await app?.close();
    if (listening) await double.close();
  });
  return { t, double };
}
