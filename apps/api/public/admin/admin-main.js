/* global location, URLSearchParams, FormData */
// The admin console (CONTRACT §8): sign in with an admin account, then views by URL hash. Plain ES modules, no
// framework, no build step, everything served by this API.
import { ApiError, errorLines, post, session, whenSignedOut } from './admin-api.js';
import { $, clearMessage, fill, h, showMessage } from './admin-dom.js';
import { renderJobs } from './admin-jobs.js';
import { renderPlatformEvents, renderStripeEvents } from './admin-ledgers.js';
import { renderOverview } from './admin-overview.js';
import { renderPriceMigration, renderPriceMigrations } from './admin-price-migrations.js';
import { renderRevenue } from './admin-revenue.js';
import { renderVendorPage } from './admin-vendor-page.js';
import { renderVendors } from './admin-vendors.js';

const ROUTES = [
  [/^\/?$/, (view) => renderOverview(view), 'overview'],
  [/^\/vendors\/(\d{1,10})$/, (view, _p, m) => renderVendorPage(view, m[1]), 'vendors'],
  [/^\/vendors$/, (view, params) => renderVendors(view, params), 'vendors'],
  [/^\/stripe-events$/, (view, params) => renderStripeEvents(view, params), 'stripe-events'],
  [/^\/platform-events$/, (view) => renderPlatformEvents(view), 'platform-events'],
  [/^\/jobs$/, (view) => renderJobs(view), 'jobs'],
  [/^\/revenue$/, (view, params) => renderRevenue(view, params), 'revenue'],
  [/^\/price-migrations$/, (view) => renderPriceMigrations(view), 'price-migrations'],
  [/^\/price-migrations\/(\d{1,10})$/, (view, _p, m) => renderPriceMigration(view, m[1]), 'price-migrations'],
];

let rendering = 0;

async function route() {
  if (!session.token) return showLogin();
  showApp();
  clearMessage();
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query || '');
  const view = $('#view');
  const found = ROUTES.find(([re]) => re.test(path || '/'));
  if (!found) {
    fill(view, h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  const [re, render, nav] = found;
  for (const a of document.querySelectorAll('#nav a')) a.toggleAttribute('aria-current', a.dataset.nav === nav);
  const mine = ++rendering;
  view.setAttribute('aria-busy', 'true');
  try {
    await render(view, params, (path || '/').match(re));
  } catch (err) {
    if (mine !== rendering) return;
    if (err instanceof ApiError && err.status === 401) return;
    fill(view, h('p', { class: 'muted' }, 'This view could not be loaded.'));
    showMessage('error', err.message || 'Something went wrong.', errorLines(err));
  } finally {
    if (mine === rendering) view.removeAttribute('aria-busy');
  }
}

function showLogin(message) {
  $('#login').hidden = false;
  $('#app').hidden = true;
  $('#nav').hidden = true;
  $('#sign-out').hidden = true;
  fill($('#signed-in-as'));
  if (message) showMessage('info', message);
}

function showApp() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#nav').hidden = false;
  $('#sign-out').hidden = false;
  fill($('#signed-in-as'), session.account || '');
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = new FormData(e.target);
  const button = e.target.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const s = await post('/auth/login', { email: String(data.get('email')), password: String(data.get('password')) });
    if (!s.user || s.user.role !== 'admin') {
      showMessage('error', 'This account is not a platform admin. Sign in with the admin account (ADMIN_EMAIL).');
      return;
    }
    session.save(s.access_token, s.user.email);
    e.target.reset();
    await route();
  } catch (err) {
    showMessage('error', err.status === 401 ? 'Wrong e-mail or password.' : err.message, errorLines(err));
  } finally {
    button.disabled = false;
  }
});

$('#sign-out').addEventListener('click', () => {
  session.clear();
  showLogin('You are signed out.');
});

whenSignedOut((message) => showLogin(message));
window.addEventListener('hashchange', route);
route();
