// How both pages (the vendor billing page and the admin console) call the API: one fetch wrapper, served at
// /assets/api-client.js. Each page keeps its own token and decides what an ended session does to it.

export const API = '/api/v1';

export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

/** The contract's error envelope as an Error; a body that is not one (a proxy's page, no network) still gets a code. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' ? body.message : `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.error_code) || (status === 404 ? 'NOT_FOUND' : `HTTP_${status}`);
    this.details = body && typeof body.details === 'object' ? body.details : undefined;
  }
}

/**
 * `api(method, path, body)` for one page: JSON in and out, the bearer token from `token()` when there is one, and
 * any non-2xx answer thrown as an ApiError. A 401 to a request that carried a token means the session is over:
 * `onSessionEnded(message)` runs before the error is thrown (a 401 without a token is a wrong password).
 */
export function createApi({ token, onSessionEnded, networkMessage = 'The server could not be reached.' }) {
  return async function api(method, path, body) {
    const bearer = token();
    const headers = { Accept: 'application/json' };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { error_code: 'NETWORK', message: networkMessage });
    }
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null; // not JSON: a proxy's error page, say
    }
    if (!res.ok) {
      if (res.status === 401 && bearer) onSessionEnded(SESSION_ENDED);
      throw new ApiError(res.status, data);
    }
    return data;
  };
}
