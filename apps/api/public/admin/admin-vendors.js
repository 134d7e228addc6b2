/* global location, URLSearchParams, FormData */
// Vendor search: by code, name or owner e-mail, filtered by status and tier, paged.
import { get } from './admin-api.js';
import { badge, card, date, fill, h, table } from './admin-dom.js';

const PAGE = 20;
const STATUSES = ['trial', 'active', 'past_due', 'cancelled', 'expired'];

export async function renderVendors(view, params) {
  const q = params.get('q') || '';
  const status = params.get('status') || '';
  const tier = params.get('tier_code') || '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const tiers = await get('/admin/subscription-tiers').catch(() => []);

  const form = h('form', { id: 'vendor-search', class: 'search', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const next = new URLSearchParams();
    for (const key of ['q', 'status', 'tier_code']) if (data.get(key)) next.set(key, String(data.get(key)));
    location.hash = `#/vendors?${next}`;
  } },
  h('label', { class: 'grow' }, 'Search', h('input', { type: 'search', name: 'q', value: q, placeholder: 'code, name or owner e-mail', maxlength: 200 })),
  h('label', {}, 'Status', h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)))),
  h('label', {}, 'Tier', h('select', { name: 'tier_code' }, h('option', { value: '' }, 'any'), (Array.isArray(tiers) ? tiers : tiers.items || []).map((t) => h('option', { value: t.code, selected: t.code === tier }, t.name)))),
  h('button', { type: 'submit', class: 'primary' }, 'Search'));

  const results = h('div', { id: 'vendor-results' }, h('p', { class: 'muted' }, 'Loading…'));
  fill(view, card('Vendors', 'vendors', form, results));

  const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if (q) query.set('q', q);
  if (status) query.set('status', status);
  if (tier) query.set('tier_code', tier);
  const page = await get(`/admin/vendors?${query}`);
  const pageLink = (to, text) => {
    const p = new URLSearchParams(params);
    p.set('offset', String(to));
    return h('a', { href: `#/vendors?${p}`, class: 'button' }, text);
  };
  fill(results,
    h('p', { class: 'muted' }, `${page.total} vendor${page.total === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`),
    table(['Vendor', 'Owner', 'Tier', 'Status', 'Products', 'Since'], page.items.map((v) => [
      h('a', { href: `#/vendors/${v.id}`, class: 'vendor-link' }, h('strong', {}, v.name), h('br'), h('span', { class: 'muted' }, v.code)),
      v.owner_email || '—',
      v.tier_code || '—',
      h('span', {}, badge(v.status || 'none'), v.is_active ? null : [' ', badge('deactivated', 'bad')]),
      v.usage ? `${v.usage.products.current}${v.usage.products.limit === null ? '' : ` / ${v.usage.products.limit}`}` : '—',
      date(v.created_at),
    ]), 'No vendor matches.'),
    h('div', { class: 'pager' },
      offset > 0 ? pageLink(Math.max(0, offset - PAGE), '← Newer') : null,
      offset + PAGE < page.total ? pageLink(offset + PAGE, 'Older →') : null));
}
