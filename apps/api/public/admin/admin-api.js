/* global sessionStorage */
// The admin API, with the signed-in admin's bearer token (kept in sessionStorage: it dies with the tab). The fetch
// wrapper is the one the billing page uses too (apps/api/public/api-client.js, served under /assets/).
import { ApiError, createApi } from '/assets/api-client.js';

export { ApiError };

const TOKEN_KEY = 'vb.admin.token';
const ACCOUNT_KEY = 'vb.admin.account';

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

export const api = createApi({
  token: () => session.token,
  onSessionEnded: (message) => {
    session.clear();
    onSignedOut(message);
  },
});

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
