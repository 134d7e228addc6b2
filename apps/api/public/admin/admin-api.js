/* global sessionStorage */
// The admin API, with the signed-in admin's bearer token (kept in sessionStorage: it dies with the tab).

const API = '/api/v1';
const TOKEN_KEY = 'vb.admin.token';
const ACCOUNT_KEY = 'vb.admin.account';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' ? body.message : `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.error_code) || `HTTP_${status}`;
    this.details = body && typeof body.details === 'object' ? body.details : undefined;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get account() {
    return sessionStorage.getItem(ACCOUNT_KEY);
  },
  save(token, email) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ACCOUNT_KEY, email);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
  },
};

export async function api(method, path, body) {
  const token = session.token;
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { error_code: 'NETWORK', message: 'The server could not be reached.' });
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // not JSON: a proxy's error page, say
  }
  if (!res.ok) {
    if (res.status === 401 && token) {
      session.clear();
      onSignedOut('Your session has ended. Please sign in again.');
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

/** The envelope's message and its field errors, as lines. */
export function errorLines(err) {
  const lines = [];
  if (err && err.details && Array.isArray(err.details.errors)) {
    for (const e of err.details.errors) lines.push(`${e.field}: ${(e.messages || []).join(', ')}`);
  }
  if (err && err.details && Array.isArray(err.details.violations)) {
    for (const v of err.details.violations) lines.push(`${v.limit_type}: ${v.current} used, the tier allows ${v.limit}`);
  }
  return lines;
}
