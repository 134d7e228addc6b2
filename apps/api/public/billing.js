/* global sessionStorage, location, history, URLSearchParams, FormData, Node, HTMLDialogElement */
// The vendor billing page: plain JavaScript, no framework, no build step, served by the API (CONTRACT §8).
// It talks only to /api/v1 with the signed-in user's bearer token (kept in sessionStorage, so it dies with the
// tab). Every string that comes from the API enters the page through text nodes, never as HTML. An ES module: its
// fetch wrapper is shared with the admin console.
import { ApiError, createApi } from './api-client.js';

(() => {
  const BILLING = '/vendor/billing';
  const TOKEN_KEY = 'vb.billing.token';
  const ACCOUNT_KEY = 'vb.billing.account';
  const INVOICE_PAGE = 20;
  const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
  const pageVendorCode = decodeURIComponent(location.pathname.split('/')[2] || '');

  const state = { subscription: null, tiers: null, invoices: [], invoiceTotal: 0, addons: null, myAddons: null, interval: 'monthly' };

  // ---------- small tools ----------

  const $ = (selector) => document.querySelector(selector);

  /** An element with attributes, listeners (onclick…) and children; strings become text nodes. */
  function h(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** Replaces an element's content; null and false children are skipped (replaceChildren would print "null"). */
  function fill(el, ...children) {
    el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  /** Only http(s) URLs (and mailto: where allowed) become links or redirects (no javascript: from an API string). */
  function safeUrl(value, { mailto = false } = {}) {
    if (typeof value !== 'string' || value === '') return null;
    try {
      const url = new URL(value, location.href);
      return url.protocol === 'https:' || url.protocol === 'http:' || (mailto && url.protocol === 'mailto:') ? url.href : null;
    } catch {
      return null;
    }
  }

  function money(cents, currency = 'eur') {
    if (cents === null || cents === undefined) return '—';
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: String(currency).toUpperCase() }).format(cents / 100);
    } catch {
      return `${(cents / 100).toFixed(2)} ${String(currency).toUpperCase()}`;
    }
  }

  // Every date on the page is one of the API's ISO strings, shown as its UTC calendar day (the day the API
  // means: its messages and Stripe's periods are UTC), inside <time datetime="…"> so it can be checked.
  const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

  function dateText(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '—' : DATE_FORMAT.format(d);
  }

  function date(iso) {
    const text = dateText(iso);
    return text === '—' ? text : h('time', { datetime: iso }, text);
  }

  const humanize = (value) => String(value).replace(/[_-]+/g, ' ').replace(/\bapi\b/gi, 'API').replace(/^\w/, (c) => c.toUpperCase());
  /** `1 team member`, `3 team members`, `Unlimited team members` (nouns are given in the plural). */
  const limitText = (limit, plural) => (limit === null || limit === undefined ? `Unlimited ${plural}` : `${limit} ${limit === 1 ? plural.replace(/s$/, '') : plural}`);

  // ---------- the API ----------

  // A 401 to a signed-in request ends the session: back to the sign-in form, saying why.
  const api = createApi({
    token: () => sessionStorage.getItem(TOKEN_KEY),
    onSessionEnded: (message) => signOut(message),
    networkMessage: 'The server could not be reached. Check your connection and try again.',
  });

  /** The envelope's message, plus what its details say, as text lines. */
  function describeError(err) {
    if (!(err instanceof ApiError)) return { text: 'Something went wrong on this page.', lines: [String(err && err.message ? err.message : err)] };
    const d = err.details || {};
    const lines = [];
    switch (err.code) {
      case 'PAYMENT_SYSTEM_NOT_CONFIGURED':
        return { text: 'Payments are not configured on this platform yet. Please try again later or contact support.', lines };
      case 'NOT_FOUND':
        if (/^No route for/.test(err.message)) return { text: 'This part of billing is not available yet.', lines };
        break;
      case 'TIER_LIMIT_EXCEEDED':
        lines.push(`${humanize(d.limit_type || 'usage')}: ${d.current} of ${d.limit} used on the ${d.tier_code || 'current'} plan. Upgrade to add more.`);
        break;
      case 'DOWNGRADE_EXCEEDS_LIMITS':
        for (const v of Array.isArray(d.violations) ? d.violations : []) {
          lines.push(typeof v === 'object' && v !== null
            ? `${humanize(v.limit_type || v.resource || v.type || 'usage')}: ${v.current} in use, the new plan allows ${v.limit === null ? 'unlimited' : v.limit}`
            : String(v));
        }
        break;
      case 'FEATURE_NOT_AVAILABLE':
        lines.push(`${humanize(d.feature || 'This feature')} comes with the ${d.cheapest_tier_code || 'a higher'} plan.`);
        break;
      case 'VALIDATION_FAILED':
        for (const e of Array.isArray(d.errors) ? d.errors : []) lines.push(`${e.field}: ${(e.messages || []).join(', ')}`);
        break;
      default:
        for (const [key, value] of Object.entries(d)) {
          if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) lines.push(`${humanize(key)}: ${value}`);
        }
    }
    return { text: err.message, lines };
  }

  // ---------- messages and dialogs ----------

  /** The page-wide banner; `content` is a string or an array of strings and nodes (dates as <time>). */
  function showMessage(content, kind = 'info', lines = []) {
    const box = $('#message');
    fill(box, h('p', {}, content), lines.length ? h('ul', {}, lines.map((line) => h('li', {}, line))) : null);
    box.className = `message ${kind}`;
    box.dataset.kind = kind;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.hidden = false;
    if (kind !== 'info' && typeof box.scrollIntoView === 'function') box.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  function showError(err) {
    const { text, lines } = describeError(err);
    showMessage(text, 'error', lines);
  }

  /** Clears the banner and every field's error: each new action starts with a clean page. */
  const clearMessage = () => {
    $('#message').hidden = true;
    delete $('#message').dataset.kind;
    fill($('#message'));
    for (const el of document.querySelectorAll('.field-error')) el.remove();
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    }
  };

  /** An error shown under its field (not in the banner, which would scroll the focused field away). */
  function showFieldError(input, text) {
    const id = `${input.name || 'field'}-error-${Math.random().toString(36).slice(2, 8)}`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.after(h('p', { class: 'field-error', id, role: 'alert' }, text));
    input.focus();
  }

  /** A modal question; resolves true when confirmed. */
  function confirmDialog(title, body, confirmLabel) {
    const dialog = $('#confirm-dialog');
    if (!(dialog instanceof HTMLDialogElement) || typeof dialog.showModal !== 'function') {
      return Promise.resolve(window.confirm(`${title}\n\n${body.textContent}`));
    }
    $('#confirm-title').textContent = title;
    fill($('#confirm-body'), body);
    $('#confirm-ok').textContent = confirmLabel;
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }));
  }

  /** Runs a button's action: old messages go, the button is disabled meanwhile, any failure lands in the banner. */
  async function run(button, action) {
    clearMessage();
    if (button) button.disabled = true;
    try {
      await action();
    } catch (err) {
      showError(err);
    } finally {
      if (button) button.disabled = false;
    }
  }

  function redirect(url) {
    const safe = safeUrl(url);
    if (!safe) throw new ApiError(502, { message: 'The payment provider did not return a usable address.' });
    location.assign(safe);
  }

  function sectionBody(id) {
    const body = document.querySelector(`#${id} .section-body`);
    body.removeAttribute('data-state');
    return body;
  }

  function renderUnavailable(id, err) {
    const { text } = describeError(err);
    fill(sectionBody(id), h('p', { class: 'muted unavailable' }, text));
  }

  // ---------- sign-in ----------

  function account() {
    try {
      return JSON.parse(sessionStorage.getItem(ACCOUNT_KEY) || 'null');
    } catch {
      return null;
    }
  }

  /** Only the owner changes billing; a member's page shows what is, without the buttons that would answer 403. */
  const isOwner = () => (account() || {}).vendorRole !== 'member';

  function signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
    showLogin();
    if (reason) showMessage(reason, 'info');
  }

  function showLogin() {
    $('#billing').hidden = true;
    $('#sign-out').hidden = true;
    $('#signed-in-as').textContent = '';
    $('#login').hidden = false;
    $('#login-form [name=email]').focus();
  }

  async function login(form) {
    const data = new FormData(form);
    const email = String(data.get('email') || '').trim();
    const password = String(data.get('password') || '');
    if (!email || password.length < 8) return showMessage('Enter your e-mail and your password (8 characters or more).', 'error');
    const res = await api('POST', '/auth/login', { email, password });
    form.reset();
    if (!res || !res.user || res.user.role !== 'vendor' || !res.vendor) {
      return showMessage('This page is for shop accounts; sign in with the e-mail of your shop.', 'error');
    }
    sessionStorage.setItem(TOKEN_KEY, res.access_token);
    // vendor_role: owner or member (a member sees the plan but only the owner changes billing, CONTRACT §3).
    const vendorRole = res.user.vendor_role === 'member' ? 'member' : 'owner';
    sessionStorage.setItem(ACCOUNT_KEY, JSON.stringify({ email: res.user.email, code: res.vendor.code, name: res.vendor.name, vendorRole }));
    clearMessage();
    if (res.vendor.code !== pageVendorCode) return location.replace(`/vendor/${encodeURIComponent(res.vendor.code)}/billing`);
    await showBilling();
  }

  // ---------- the page ----------

  async function showBilling() {
    const me = account();
    if (me && me.code && me.code !== pageVendorCode) return location.replace(`/vendor/${encodeURIComponent(me.code)}/billing`);
    $('#login').hidden = true;
    $('#billing').hidden = false;
    $('#sign-out').hidden = false;
    $('#signed-in-as').textContent = me ? `${me.name} · ${me.email}` : '';
    document.body.dataset.vendorRole = isOwner() ? 'owner' : 'member';

    const params = new URLSearchParams(location.search);
    const checkout = params.get('checkout');
    if (checkout) {
      history.replaceState(null, '', location.pathname);
      if (checkout === 'success') await syncAfterCheckout();
      else showMessage('Checkout was cancelled. Nothing was charged.', 'info');
    }
    await loadAll();
  }

  /** Back from Stripe Checkout: read the subscription from Stripe now rather than wait for its webhook. */
  async function syncAfterCheckout() {
    showMessage('Payment received. Updating your plan…', 'info');
    try {
      await api('POST', `${BILLING}/sync`, {});
      showMessage('Thank you! Your plan is up to date.', 'success');
    } catch (err) {
      const { text } = describeError(err);
      showMessage('Payment received. Your plan will show here within a minute.', 'info', [text]);
    }
  }

  async function loadAll() {
    const [subscription, tiers, invoices, addons, myAddons] = await Promise.allSettled([
      api('GET', `${BILLING}/subscription`),
      api('GET', `${BILLING}/tiers`),
      api('GET', `${BILLING}/invoices?limit=${INVOICE_PAGE}&offset=0`),
      api('GET', `${BILLING}/addons`),
      api('GET', `${BILLING}/my-addons`),
    ]);
    if (!sessionStorage.getItem(TOKEN_KEY)) return; // a 401 signed us out meanwhile

    if (subscription.status === 'fulfilled') {
      state.subscription = subscription.value;
      state.interval = state.subscription.is_annual ? 'annual' : 'monthly';
      const radio = document.querySelector(`input[name=interval][value=${state.interval}]`);
      if (radio) radio.checked = true;
      renderCurrentPlan();
      renderUsage();
      renderPaymentMethod();
    } else {
      state.subscription = null;
      for (const id of ['current-plan', 'usage-meters', 'payment-method']) renderUnavailable(id, subscription.reason);
    }
    if (tiers.status === 'fulfilled') {
      state.tiers = Array.isArray(tiers.value) ? tiers.value : [];
      renderTiers();
    } else renderUnavailable('change-plan', tiers.reason);
    if (invoices.status === 'fulfilled') {
      state.invoices = invoices.value.invoices || [];
      state.invoiceTotal = invoices.value.total || state.invoices.length;
      renderInvoices();
    } else renderUnavailable('invoice-history', invoices.reason);
    state.addons = addons.status === 'fulfilled' ? addons.value : null;
    state.myAddons = myAddons.status === 'fulfilled' ? myAddons.value : null;
    if (state.addons === null && state.myAddons === null) renderUnavailable('add-ons', addons.reason);
    else renderAddOns();
  }

  const STATUS_LABEL = { trial: 'Trial', active: 'Active', past_due: 'Payment overdue', cancelled: 'Cancelled', expired: 'Expired' };

  /**
   * Whether a cancellation is scheduled: at the period's end (`cancel_at_period_end`) or on another date
   * (`cancel_at`, which Stripe sets when the cancellation was asked for with a date).
   */
  function cancelScheduled(s) {
    return Boolean(s.cancel_at_period_end || (s.cancel_at && s.status !== 'cancelled' && s.status !== 'expired'));
  }

  /** The badge says what the plan is doing: a cancelled plan that still runs until its end is "Cancelled" too. */
  function statusBadge(s) {
    const key = cancelScheduled(s) && s.status !== 'expired' ? 'cancelled' : s.status;
    return h('span', { class: `badge status-${key}`, 'data-status': key }, STATUS_LABEL[key] || humanize(key));
  }

  /** When the plan stops unless renewed: the API's `ends_at`, else (an older API) the period's or the trial's end. */
  function endsAt(s) {
    if (s.ends_at !== undefined) return s.ends_at;
    if (s.cancel_at) return s.cancel_at;
    if (!s.cancel_at_period_end) return null;
    return s.status === 'trial' && s.trial_ends_at && !s.has_payment_method ? s.trial_ends_at : s.period_end;
  }

  function renderCurrentPlan() {
    const s = state.subscription;
    const ends = endsAt(s);
    const rows = [
      ['Plan', h('strong', { 'data-field': 'tier' }, s.tier.name)],
      ['Status', statusBadge(s)],
      ['Billing', s.is_annual ? 'Annual' : 'Monthly'],
    ];
    if (s.price && s.price.amount_cents !== null && s.price.amount_cents !== undefined) {
      rows.push(['Price', h('span', { 'data-field': 'price' }, `${money(s.price.amount_cents, s.price.currency)} per ${s.is_annual ? 'year' : 'month'}`)]);
    }
    if (s.status === 'trial' && !cancelScheduled(s)) rows.push(['Trial ends', date(s.trial_ends_at)]);
    else if (s.status !== 'trial' && (s.period_start || s.period_end)) rows.push(['Current period', [date(s.period_start), ' – ', date(s.period_end)]]);
    if (cancelScheduled(s)) rows.push(['Ends on', h('span', { 'data-field': 'ends-on' }, date(ends))]);
    else if (s.status === 'active' || s.status === 'past_due') rows.push(['Next billing date', date(s.period_end)]);
    if (s.cancelled_at) rows.push(['Cancelled on', date(s.cancelled_at)]);

    const notes = [];
    if (s.status === 'past_due') notes.push(h('p', { class: 'warning' }, 'Your last payment failed. Update your payment method to keep your plan.'));
    if (s.status === 'expired') notes.push(h('p', { class: 'warning' }, 'Your plan has ended. Choose a plan below to continue.'));
    if (cancelScheduled(s)) notes.push(h('p', { class: 'warning' }, 'Your plan is cancelled and ends on ', date(ends), '. You can reactivate it until then.'));
    // A price migration (CONTRACT §11): told ahead, shown until the renewal that bills it.
    if (s.price_change && !cancelScheduled(s)) {
      notes.push(h('p', { class: 'notice price-change', role: 'status', 'data-field': 'price-change' },
        `Your plan's price changes to ${money(s.price_change.new_amount_cents, s.price_change.currency)} per ${s.is_annual ? 'year' : 'month'} from your renewal on `,
        date(s.price_change.effective_at), '. Until then you pay ', s.price && s.price.amount_cents !== null ? money(s.price.amount_cents, s.price.currency) : 'your current price', '.'));
    }

    const actions = [];
    if (!isOwner()) {
      notes.push(h('p', { class: 'muted owner-only-note' }, 'Only the shop owner can change the plan, the payment method and add-ons.'));
    } else if (cancelScheduled(s)) {
      actions.push(h('button', { type: 'button', class: 'primary', 'data-action': 'reactivate', onclick: (e) => run(e.currentTarget, reactivate) }, 'Reactivate plan'));
    } else if (['trial', 'active', 'past_due'].includes(s.status)) {
      actions.push(h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: (e) => run(e.currentTarget, cancelPlan) }, 'Cancel plan'));
    }
    const features = Array.isArray(s.features) && s.features.length
      ? h('ul', { class: 'features' }, s.features.map((f) => h('li', {}, humanize(typeof f === 'string' ? f : f.name || f.code))))
      : null;
    fill(sectionBody('current-plan'),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      ...notes,
      features,
      actions.length ? h('div', { class: 'actions' }, actions) : null,
    );
  }

  function renderUsage() {
    const usage = state.subscription.usage || {};
    const meters = [['products', 'Products'], ['orders', 'Orders this period'], ['team_members', 'Team members']].map(([key, label]) => {
      const u = usage[key] || { current: 0, limit: null, percent: null };
      const unlimited = u.limit === null || u.limit === undefined;
      const percent = unlimited ? 0 : Math.min(100, Math.max(0, Number(u.percent ?? (u.limit ? (100 * u.current) / u.limit : 100))));
      const level = unlimited ? '' : percent >= 100 ? 'full' : percent >= 80 ? 'high' : '';
      return h('div', { class: `meter ${level}`, 'data-meter': key },
        h('div', { class: 'meter-label' }, h('span', {}, label), h('span', { class: 'meter-value' }, unlimited ? `${u.current} · unlimited` : `${u.current} of ${u.limit}`)),
        unlimited ? null : h('progress', { max: 100, value: percent, 'aria-label': `${label}: ${Math.round(percent)}%` }, `${Math.round(percent)}%`),
        thresholdNotice(key, u),
        key === 'orders' && u.overage ? overageBlock(u.overage) : null,
      );
    });
    fill(sectionBody('usage-meters'), ...meters);
  }

  /**
   * Orders past the limit billed as overage (CONTRACT §12): this period's count and amount against the cap, and for
   * the owner a way to change the cap (in the plan's currency, whole or with cents) or remove it.
   */
  function overageBlock(o) {
    const currency = (state.subscription.tier && state.subscription.tier.currency) || 'eur';
    const price = o.price_per_unit_cents === null ? 'Orders past the limit are refused on your subscription (not billed as overage).' : ['Orders past the limit are billed at ', money(o.price_per_unit_cents, currency), ' each, up to your cap.'];
    const used = o.cap_cents === null ? [money(o.amount_cents, currency), ' · no cap'] : [money(o.amount_cents, currency), ' of ', money(o.cap_cents, currency), ' cap'];
    const onInvoice = o.count > 0 ? h('p', { class: 'muted overage-invoice', 'data-overage-invoice': '' }) : null;
    const block = h('div', { class: 'overage', 'data-overage': '' },
      h('div', { class: 'meter-label' }, h('span', {}, `Overage this period: ${o.count} ${o.count === 1 ? 'order' : 'orders'}`), h('span', { class: 'meter-value', 'data-overage-amount': '' }, used)),
      h('p', { class: 'muted overage-note' }, price),
      onInvoice,
    );
    if (onInvoice) void showOverageOnInvoice(onInvoice);
    if (!isOwner()) return block;
    const input = h('input', { type: 'number', name: 'cap', min: '0', step: '0.01', inputmode: 'decimal', 'aria-label': 'Overage cap', value: o.cap_cents === null ? '' : (o.cap_cents / 100).toFixed(2) });
    const form = h('form', { class: 'overage-cap', 'data-form': 'overage-cap', onsubmit: (e) => { e.preventDefault(); run(e.submitter, () => setOverageCap(input.value)); } },
      h('label', {}, 'Cap ', input),
      h('button', { type: 'submit', 'data-action': 'set-overage-cap' }, 'Set cap'),
      o.cap_cents === null ? null : h('button', { type: 'button', class: 'secondary', 'data-action': 'remove-overage-cap', onclick: (e) => run(e.currentTarget, () => setOverageCap(null)) }, 'Remove cap'),
    );
    block.append(form);
    return block;
  }

  /**
   * The overage line of the upcoming invoice (CONTRACT §12): what Stripe's meter has counted so far, as the period's
   * invoice will bill it. Loaded after the page, only when there is overage; nothing shown when there is no invoice
   * to preview (no Stripe subscription) or the preview fails.
   */
  async function showOverageOnInvoice(target) {
    try {
      const invoice = await api('GET', `${BILLING}/upcoming-invoice`);
      const lines = (invoice.lines || []).filter((line) => line.overage);
      if (lines.length === 0) return fill(target, 'Not on your next invoice yet: Stripe receives overage orders within seconds.');
      const count = lines.reduce((n, line) => n + (line.quantity || 0), 0);
      const amount = lines.reduce((n, line) => n + line.amount_cents, 0);
      fill(target, `On your next invoice: ${count} ${count === 1 ? 'order' : 'orders'}, `, money(amount, invoice.currency));
    } catch {
      target.remove();
    }
  }

  /** `value`: the cap as typed (units of the currency), or null to remove it. */
  async function setOverageCap(value) {
    let cents = null;
    if (value !== null) {
      cents = Math.round(Number(String(value).replace(',', '.')) * 100);
      if (String(value).trim() === '' || !Number.isFinite(cents) || cents < 0) throw new ApiError(400, { message: 'Enter the cap as an amount of 0 or more.' });
    }
    await api('PATCH', `${BILLING}/overage`, { cap_cents: cents });
    await loadAll();
    showMessage(cents === null ? 'Your overage has no cap now.' : 'Your overage cap is changed.', 'success');
  }

  /** The usage threshold the server reported this period (`threshold_reached`: 80, 100 or null) as a notice under its meter. */
  function thresholdNotice(key, u) {
    if (u.threshold_reached !== 80 && u.threshold_reached !== 100) return null;
    const what = { products: 'your plan\'s products', orders: `this ${state.subscription.is_annual ? 'year' : 'month'}'s orders`, team_members: 'your plan\'s team seats' }[key] || key;
    const text = u.threshold_reached === 100 ? `You have used all of ${what}.` : `You have used 80% of ${what}.`;
    return h('p', { class: `meter-notice ${u.threshold_reached === 100 ? 'full' : 'high'}`, role: 'status', 'data-threshold': String(u.threshold_reached) }, text);
  }

  function renderTiers() {
    const annual = state.interval === 'annual';
    const s = state.subscription;
    const cards = state.tiers.map((tier) => {
      const price = annual ? tier.price_annual_cents : tier.price_monthly_cents;
      const isCurrent = tier.is_current && (!s || Boolean(s.is_annual) === annual);
      let button;
      const contact = safeUrl(tier.contact_url, { mailto: true });
      if (isCurrent) button = h('button', { type: 'button', disabled: true }, 'Current plan');
      else if (price === null || price === undefined) {
        // Custom-priced (Enterprise): sold by hand, so the card links to sales (SALES_CONTACT_URL).
        button = contact
          ? h('a', { class: 'button', href: contact, 'data-tier': tier.code, ...(contact.startsWith('mailto:') ? {} : { target: '_blank', rel: 'noopener noreferrer' }) }, 'Contact sales')
          : h('p', { class: 'muted' }, 'Ask the platform for a quote.');
      } else if (!isOwner()) button = null;
      else {
        const label = tier.is_current ? `Switch to ${annual ? 'annual' : 'monthly'}` : tier.can_upgrade ? 'Upgrade' : tier.can_downgrade ? 'Downgrade' : 'Choose';
        button = h('button', { type: 'button', class: tier.can_upgrade ? 'primary' : '', 'data-tier': tier.code, onclick: (e) => run(e.currentTarget, () => choosePlan(tier, annual)) }, label);
      }
      return h('article', { class: `tier${tier.is_current ? ' current' : ''}` },
        h('h3', {}, tier.name),
        h('p', { class: 'price' }, price === null || price === undefined ? 'Custom pricing' : [money(price), h('span', { class: 'muted' }, annual ? ' / year' : ' / month')]),
        tier.description ? h('p', { class: 'muted' }, tier.description) : null,
        h('ul', { class: 'limits' },
          h('li', {}, limitText(tier.products_limit, 'products')),
          h('li', {}, `${limitText(tier.orders_per_month, 'orders')} a month`),
          h('li', {}, limitText(tier.team_members, 'team members'))),
        Array.isArray(tier.features) && tier.features.length ? h('ul', { class: 'features' }, tier.features.map((f) => h('li', {}, humanize(f)))) : null,
        button,
      );
    });
    fill(sectionBody('change-plan'),
      cards.length ? h('div', { class: 'tiers' }, cards) : h('p', { class: 'muted' }, 'No plans are offered right now.'),
      isOwner() ? null : h('p', { class: 'muted owner-only-note' }, 'Only the shop owner can change the plan.'));
  }

  /**
   * A vendor with a Stripe subscription sees the prorated preview and changes in place; one without goes to Checkout
   * (to add a card). Where the platform takes no payments (no Stripe), a trial changes plan here, as the API allows.
   */
  async function choosePlan(tier, annual) {
    let preview;
    try {
      preview = await api('GET', `${BILLING}/upcoming-invoice?tier_code=${encodeURIComponent(tier.code)}&is_annual=${annual}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'NO_ACTIVE_SUBSCRIPTION') {
        const res = await api('POST', `${BILLING}/checkout`, { tier_code: tier.code, is_annual: annual });
        return redirect(res.checkout_url);
      }
      if (err instanceof ApiError && err.code === 'PAYMENT_SYSTEM_NOT_CONFIGURED' && state.subscription && state.subscription.status === 'trial') {
        return changeTrialPlan(tier, annual);
      }
      throw err;
    }
    const body = h('div', {},
      h('p', {}, `Your plan changes to ${tier.name} (${annual ? 'annual' : 'monthly'}) now. Your next invoice:`),
      h('table', { class: 'preview' },
        h('tbody', {}, (preview.lines || []).map((line) => h('tr', {}, h('td', {}, line.description || ''), h('td', { class: 'num' }, money(line.amount_cents, preview.currency))))),
        h('tfoot', {}, h('tr', {}, h('th', {}, 'Amount due'), h('th', { class: 'num' }, money(preview.amount_due_cents, preview.currency))))),
      preview.next_payment_attempt ? h('p', { class: 'muted' }, `Charged on ${date(preview.next_payment_attempt)}.`) : null,
    );
    if (!(await confirmDialog(`Change to ${tier.name}`, body, 'Change plan'))) return;
    const change = { tier_code: tier.code, is_annual: annual };
    if (preview.proration_date !== undefined && preview.proration_date !== null) change.proration_date = preview.proration_date;
    await api('POST', `${BILLING}/change-tier`, change);
    await loadAll();
    showMessage(planChangedMessage(), 'success');
  }

  /** A trial without payments: the plan changes now, nothing is charged, the trial's end stays. */
  async function changeTrialPlan(tier, annual) {
    const s = state.subscription;
    const body = h('p', {}, `Your trial continues on ${tier.name} (${annual ? 'annual' : 'monthly'}) until `, date(s.trial_ends_at), '. Nothing is charged now.');
    if (!(await confirmDialog(`Change to ${tier.name}`, body, 'Change plan'))) return;
    await api('POST', `${BILLING}/change-tier`, { tier_code: tier.code, is_annual: annual });
    await loadAll();
    showMessage(planChangedMessage(), 'success');
  }

  /** Said from the subscription as the API now answers it, not from what was asked. */
  function planChangedMessage() {
    const s = state.subscription;
    return s ? `Your plan is now ${s.tier.name} (${s.is_annual ? 'annual' : 'monthly'}).` : 'Your plan is changed.';
  }

  async function cancelPlan() {
    const s = state.subscription;
    const ends = endsAt({ ...s, cancel_at_period_end: true, cancel_at: null, ends_at: undefined });
    const body = h('p', {}, 'Your plan stays active until ', date(ends), '; after that your shop can no longer add products, orders or team members. You can reactivate until then.');
    if (!(await confirmDialog('Cancel your plan?', body, 'Cancel plan'))) return;
    const res = await api('POST', `${BILLING}/cancel`, {});
    await loadAll();
    showMessage(['Your plan is cancelled. It ends on ', date(res && res.effective_date ? res.effective_date : endsAt(state.subscription)), '.'], 'success');
  }

  /** What happens next depends on the plan as it now is: a trial without a card still ends with the trial. */
  async function reactivate() {
    await api('POST', `${BILLING}/reactivate`, {});
    await loadAll();
    const s = state.subscription;
    if (!s) return showMessage('Your plan is reactivated.', 'success');
    if (s.status === 'trial' && !s.has_payment_method) {
      return showMessage(['Your plan is reactivated. Your trial runs until ', date(s.trial_ends_at), '; choose a plan before then to keep your shop running.'], 'success');
    }
    showMessage(['Your plan is reactivated and renews on ', date(s.period_end), '.'], 'success');
  }

  function renderPaymentMethod() {
    const s = state.subscription;
    const text = s.has_payment_method
      ? 'A payment method is on file. Change your card, billing address or tax ids in the secure payment portal.'
      : s.status === 'trial'
        ? ['No payment method yet. Choose a plan before your trial ends on ', date(s.trial_ends_at), ' to keep your shop running.']
        : 'No payment method on file.';
    fill(sectionBody('payment-method'),
      h('p', {}, text),
      isOwner() ? h('div', { class: 'actions' }, h('button', { type: 'button', 'data-action': 'portal', onclick: (e) => run(e.currentTarget, openPortal) }, 'Manage payment method')) : null,
    );
  }

  async function openPortal() {
    try {
      const res = await api('POST', `${BILLING}/portal`, {});
      redirect(res.portal_url);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'NO_ACTIVE_SUBSCRIPTION') {
        return showMessage('Choose a plan first: you add your payment method at checkout.', 'info');
      }
      throw err;
    }
  }

  function renderInvoices() {
    const body = sectionBody('invoice-history');
    if (state.invoices.length === 0) return fill(body, h('p', { class: 'muted' }, 'No invoices yet.'));
    const rows = state.invoices.map((inv) => {
      const pdf = safeUrl(inv.pdf_url);
      const hosted = safeUrl(inv.hosted_url);
      return h('tr', {},
        h('td', { 'data-label': 'Date' }, date(inv.invoice_date)),
        h('td', { 'data-label': 'Number' }, inv.invoice_number || '—'),
        h('td', { class: 'num', 'data-label': 'Total' }, money(inv.total_cents, inv.currency)),
        h('td', { class: 'num', 'data-label': 'Paid' }, money(inv.amount_paid_cents, inv.currency)),
        h('td', { 'data-label': 'Status' }, h('span', { class: `badge invoice-${inv.status}` }, humanize(inv.status || 'unknown'))),
        h('td', { class: 'links', 'data-label': 'Invoice' },
          pdf ? h('a', { href: pdf, target: '_blank', rel: 'noopener noreferrer' }, 'PDF') : null,
          pdf && hosted ? ' · ' : null,
          hosted ? h('a', { href: hosted, target: '_blank', rel: 'noopener noreferrer' }, 'View') : null),
      );
    });
    const more = state.invoices.length < state.invoiceTotal
      ? h('button', { type: 'button', class: 'link', onclick: (e) => run(e.currentTarget, moreInvoices) }, `Show more (${state.invoiceTotal - state.invoices.length})`)
      : null;
    fill(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'invoices' },
        h('thead', {}, h('tr', {}, ['Date', 'Number', 'Total', 'Paid', 'Status', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))),
      more,
    );
  }

  async function moreInvoices() {
    const res = await api('GET', `${BILLING}/invoices?limit=${INVOICE_PAGE}&offset=${state.invoices.length}`);
    state.invoices = state.invoices.concat(res.invoices || []);
    state.invoiceTotal = res.total || state.invoices.length;
    renderInvoices();
  }

  function renderAddOns() {
    const mine = Array.isArray(state.myAddons) ? state.myAddons : [];
    const owned = mine.length
      ? h('ul', { class: 'owned' }, mine.map((a) => h('li', {},
          h('div', {},
            h('strong', {}, a.addon_name || humanize(a.addon_code)),
            a.domain_name ? h('span', { class: 'muted' }, ` · ${a.domain_name}`) : null,
            a.quantity > 1 ? h('span', { class: 'muted' }, ` × ${a.quantity}`) : null,
            ' ', h('span', { class: `badge status-${a.status}` }, humanize(a.status || '')),
            a.period_end ? h('div', { class: 'muted' }, `${a.status === 'active' ? 'Renews' : 'Until'} `, date(a.period_end)) : null),
          isOwner() && (a.status === 'active' || a.status === 'pending')
            ? h('button', { type: 'button', class: 'danger small', onclick: (e) => run(e.currentTarget, () => cancelAddOn(a)) }, 'Cancel')
            : null)))
      : h('p', { class: 'muted' }, state.myAddons === null ? 'Your add-ons could not be loaded.' : 'You have no add-ons yet.');

    const available = Array.isArray(state.addons)
      ? h('div', { class: 'addons' }, state.addons.map((addon) => {
          const domain = addon.requires_domain ? h('input', { type: 'text', name: 'domain_name', placeholder: 'shop.example.com', autocomplete: 'off', 'aria-label': `Domain for ${addon.name}` }) : null;
          return h('article', { class: 'addon', 'data-addon': addon.code },
            h('h4', {}, addon.name),
            h('p', { class: 'price' }, money(addon.price_cents), h('span', { class: 'muted' }, addon.billing_period === 'year' || addon.billing_period === 'yearly' ? ' / year' : addon.billing_period === 'month' || addon.billing_period === 'monthly' ? ' / month' : ` / ${addon.billing_period}`)),
            addon.description ? h('p', { class: 'muted' }, addon.description) : null,
            isOwner() ? domain : null,
            isOwner() ? h('button', { type: 'button', 'data-action': 'buy', onclick: (e) => run(e.currentTarget, () => buyAddOn(addon, domain)) }, 'Buy') : null);
        }))
      : h('p', { class: 'muted' }, 'Add-ons could not be loaded.');

    fill(sectionBody('add-ons'), h('h3', {}, 'Your add-ons'), owned, h('h3', {}, 'Available'), available);
  }

  async function buyAddOn(addon, domainInput) {
    const body = { addon_code: addon.code };
    if (addon.requires_domain) {
      const domain = domainInput.value.trim().toLowerCase();
      if (!HOSTNAME.test(domain)) return showFieldError(domainInput, domain ? `${domain} is not a domain name such as shop.example.com.` : 'Enter a domain name such as shop.example.com.');
      body.domain_name = domain;
    }
    let res;
    try {
      res = await api('POST', `${BILLING}/addons/purchase`, body);
    } catch (err) {
      // The API's answer about the domain (invalid, or held by another shop) belongs next to the domain field.
      const aboutDomain = err instanceof ApiError && domainInput && (err.code === 'CONFLICT' || (err.code === 'VALIDATION_FAILED' && ((err.details || {}).errors || []).some((e) => e.field === 'domain_name')));
      if (aboutDomain) return showFieldError(domainInput, err.message);
      throw err;
    }
    redirect(res.checkout_url);
  }

  async function cancelAddOn(addOn) {
    const name = addOn.addon_name || humanize(addOn.addon_code);
    if (!(await confirmDialog(`Cancel ${name}?`, h('p', {}, addOn.domain_name ? `${name} for ${addOn.domain_name} will be cancelled.` : `${name} will be cancelled.`), 'Cancel add-on'))) return;
    const res = await api('DELETE', `${BILLING}/addons/${encodeURIComponent(addOn.id)}`);
    await loadAll();
    showMessage(res && res.message ? res.message : `${name} is cancelled.`, 'success');
  }

  // ---------- start ----------

  function start() {
    $('#vendor-code').textContent = pageVendorCode;
    document.title = `Billing · ${pageVendorCode}`;
    const form = $('#login-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run(e.submitter || null, () => login(form));
    });
    $('#sign-out').addEventListener('click', () => signOut('You are signed out.'));
    for (const radio of document.querySelectorAll('input[name=interval]')) {
      radio.addEventListener('change', (e) => {
        state.interval = e.currentTarget.value;
        if (state.tiers) renderTiers();
      });
    }
    if (sessionStorage.getItem(TOKEN_KEY)) showBilling().catch(showError);
    else showLogin();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
