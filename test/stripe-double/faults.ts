/** Which requests a fault applies to: method (any when omitted) and a path prefix or RegExp (any when omitted). */
export interface RequestMatcher {
  method?: string;
  path?: string | RegExp;
}

export interface FailureSpec extends RequestMatcher {
  status: number;
  type?: string;
  code?: string;
  message?: string;
  param?: string;
  /** How many matching requests fail (default 1). The app's SDK retries 409/5xx: set `times` above its retries. */
  times?: number;
  /** Sends `Stripe-Should-Retry: true|false`, which the SDK obeys before looking at the status. */
  shouldRetry?: boolean;
}

export interface DelaySpec extends RequestMatcher {
  ms: number;
  /**
   * `before` (default): the request waits, then is carried out (a slow Stripe). `answer`: it is carried out at once
   * and its answer is held back (Stripe changed the state; the caller learns it late).
   */
  hold?: 'before' | 'answer';
  /** How many matching requests are delayed (default 1). */
  times?: number;
}

export function matchesRequest(matcher: RequestMatcher, method: string, path: string): boolean {
  if (matcher.method && matcher.method.toUpperCase() !== method) return false;
  if (matcher.path === undefined) return true;
  return typeof matcher.path === 'string' ? path.startsWith(matcher.path) : matcher.path.test(path);
}

function defaultType(status: number): string {
  if (status === 402) return 'card_error';
  if (status >= 500 || status === 409) return 'api_error';
  return 'invalid_request_error';
}

/** Armed faults; each matching request consumes one `times`. */
export class Faults {
  private failures: Array<FailureSpec & { left: number }> = [];
  private delays: Array<DelaySpec & { left: number }> = [];
  private limit: { perSecond: number; shouldRetry?: boolean } | null = null;
  private window: number[] = [];

  failNext(spec: FailureSpec): void {
    this.failures.push({ ...spec, left: spec.times ?? 1 });
  }

  delayNext(spec: DelaySpec): void {
    this.delays.push({ ...spec, left: spec.times ?? 1 });
  }

  rateLimit(spec: { perSecond: number; shouldRetry?: boolean } | null): void {
    this.limit = spec;
    this.window = [];
  }

  clear(): void {
    this.failures = [];
    this.delays = [];
    this.limit = null;
    this.window = [];
  }

  /** Failures still armed (tests can assert that an expected retry consumed them all). */
  get pendingFailures(): number {
    return this.failures.reduce((sum, f) => sum + f.left, 0);
  }

  /** True when this request is over the rate limit; requests under it are counted. */
  overRateLimit(): { shouldRetry?: boolean } | null {
    if (!this.limit) return null;
    const now = Date.now();
    this.window = this.window.filter((t) => now - t < 1000);
    if (this.window.length >= this.limit.perSecond) return { shouldRetry: this.limit.shouldRetry };
    this.window.push(now);
    return null;
  }

  takeDelay(method: string, path: string): { ms: number; hold: 'before' | 'answer' } | null {
    const delay = this.delays.find((d) => d.left > 0 && matchesRequest(d, method, path));
    if (!delay) return null;
    delay.left -= 1;
    this.delays = this.delays.filter((d) => d.left > 0);
    return { ms: delay.ms, hold: delay.hold ?? 'before' };
  }

  takeFailure(method: string, path: string): { status: number; body: object; shouldRetry?: boolean } | null {
    const failure = this.failures.find((f) => f.left > 0 && matchesRequest(f, method, path));
    if (!failure) return null;
    failure.left -= 1;
    this.failures = this.failures.filter((f) => f.left > 0);
    const error = {
      type: failure.type ?? defaultType(failure.status),
      ...(failure.code && { code: failure.code }),
      message: failure.message ?? `Injected failure (${failure.status}) for ${method} ${path}`,
      ...(failure.param && { param: failure.param }),
    };
    return { status: failure.status, body: { error }, shouldRetry: failure.shouldRetry };
  }
}
