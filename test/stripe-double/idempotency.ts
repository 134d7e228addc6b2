import { StripeApiError } from './params.js';

export interface StoredResponse {
  status: number;
  body: string;
  requestId: string;
}

interface Entry {
  method: string;
  path: string;
  paramsKey: string;
  response: StoredResponse | null;
}

export type IdempotencyOutcome = { kind: 'new' } | { kind: 'replay'; response: StoredResponse };

/**
 * Stripe's idempotency layer for POSTs: a key is claimed when its request starts executing; a successful answer is
 * kept and replayed byte for byte; the same key with other params is a 400, and while the first request is still
 * running a 409 (which the SDK retries). Failed answers release the key, so a retry runs for real.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  begin(key: string, method: string, path: string, paramsKey: string): IdempotencyOutcome {
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { method, path, paramsKey, response: null });
      return { kind: 'new' };
    }
    if (entry.method !== method || entry.path !== path || entry.paramsKey !== paramsKey) {
      throw new StripeApiError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
    }
    if (!entry.response) {
      throw new StripeApiError(409, 'idempotency_error', `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`, 'idempotency_key_in_use');
    }
    return { kind: 'replay', response: entry.response };
  }

  complete(key: string, response: StoredResponse): void {
    const entry = this.entries.get(key);
    if (entry) entry.response = response;
  }

  release(key: string): void {
    if (this.entries.get(key)?.response === null) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
