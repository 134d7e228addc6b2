import type { Params } from '../form-parser.js';
import { listObject } from '../objects.js';
import { invalid, num, str } from '../params.js';
import type { StripeState, VersionedMap } from '../store.js';

/** What a handler gets: the parsed params, path captures, Stripe-side state and a way to record the events Stripe would send. */
export interface RouteContext {
  params: Params;
  path: string;
  captures: string[];
  state: StripeState;
  requestId: string;
  idempotencyKey: string | null;
  /** Appends an event (when `state.autoEvents`) stamped with this request; `before` yields `previous_attributes`. */
  emit(type: string, object: object, before?: object): unknown;
}

export interface Route {
  method: string;
  pattern: RegExp;
  handler: (ctx: RouteContext) => object;
}

/** `route('GET', '/v1/customers/:id', h)`. */
export function route(method: string, path: string, handler: (ctx: RouteContext) => object): Route {
  const pattern = new RegExp('^' + path.replace(/:[a-z_]+/g, '([^/]+)') + '$');
  return { method, pattern, handler };
}

function createdOf(item: object): number {
  const created = (item as { created?: unknown }).created;
  return typeof created === 'number' ? created : 0;
}

/** Newest first (Stripe's list order): by `created`, then by insertion order. */
export function newestFirst<T extends object>(items: Iterable<T>): T[] {
  return [...items].reverse().sort((a, b) => createdOf(b) - createdOf(a));
}

interface SortedView<T> {
  version: number;
  items: T[];
  position: Map<string, number>;
}
const sortedViews = new WeakMap<object, SortedView<unknown>>();

/** `newestFirst` of a store map, sorted again only when the map has changed: a long list pages in O(page), as Stripe's does. */
export function newestFirstView<T extends { id: string }>(map: VersionedMap<string, T>): SortedView<T> {
  const cached = sortedViews.get(map) as SortedView<T> | undefined;
  if (cached?.version === map.version) return cached;
  const items = newestFirst(map.values());
  const view = { version: map.version, items, position: new Map(items.map((item, i) => [item.id, i])) };
  sortedViews.set(map, view);
  return view;
}

/** `listPage` of the view's items that `keep`, filtering only as far as the page reaches (`ending_before`: all of them). */
export function listViewPage<T extends { id: string }>(view: SortedView<T>, keep: (item: T) => boolean, params: Params, url: string) {
  const limit = pageLimit(params);
  const after = str(params, 'starting_after');
  if (str(params, 'ending_before') || !after) return listPage(view.items.filter(keep), params, url);
  const index = view.position.get(after);
  if (index === undefined) throw invalid(`No such object: '${after}'`, 'starting_after', 'resource_missing');
  const found: T[] = [];
  for (let i = index + 1; i < view.items.length && found.length <= limit; i++) if (keep(view.items[i])) found.push(view.items[i]);
  return listObject(found.slice(0, limit), url, found.length > limit);
}

function pageLimit(params: Params): number {
  const limit = num(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalid('This value must be between 1 and 100 (it currently is ' + limit + ').', 'limit');
  return limit;
}

/** A Stripe list page with `limit` (1–100, default 10), `starting_after` and `ending_before`. */
export function listPage<T extends { id: string }>(items: T[], params: Params, url: string) {
  const limit = pageLimit(params);
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  if (after) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) throw invalid(`No such object: '${after}'`, 'starting_after', 'resource_missing');
    const rest = items.slice(index + 1);
    return listObject(rest.slice(0, limit), url, rest.length > limit);
  }
  if (before) {
    const index = items.findIndex((item) => item.id === before);
    if (index < 0) throw invalid(`No such object: '${before}'`, 'ending_before', 'resource_missing');
    const head = items.slice(0, index);
    return listObject(head.slice(Math.max(head.length - limit, 0)), url, head.length > limit);
  }
  return listObject(items.slice(0, limit), url, items.length > limit);
}

type Clause = { negate: boolean; field: string; key?: string; op: string; value: string };

function parseQuery(query: string): Clause[] {
  return query.split(/\s+AND\s+/i).map((raw) => {
    const m = /^(-?)([a-z_.]+)(?:\[['"]([^'"]+)['"]\])?\s*(:|~|>=|<=|>|<)\s*(?:'([^']*)'|"([^"]*)"|(\S+))$/i.exec(raw.trim());
    if (!m) throw invalid(`Invalid search query: ${query}`, 'query');
    return { negate: m[1] === '-', field: m[2], key: m[3], op: m[4], value: m[5] ?? m[6] ?? m[7] ?? '' };
  });
}

function fieldValue(item: object, clause: Clause): unknown {
  const record = item as Record<string, unknown>;
  if (clause.field === 'metadata') return (record.metadata as Record<string, string> | null)?.[clause.key ?? ''];
  return clause.field.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), record);
}

function matches(item: object, clause: Clause): boolean {
  const value = fieldValue(item, clause);
  let ok: boolean;
  if (clause.op === ':') ok = value !== undefined && value !== null && String(value) === clause.value;
  else if (clause.op === '~') ok = typeof value === 'string' && value.toLowerCase().includes(clause.value.toLowerCase());
  else {
    const [a, b] = [Number(value), Number(clause.value)];
    ok = clause.op === '>' ? a > b : clause.op === '<' ? a < b : clause.op === '>=' ? a >= b : a <= b;
  }
  return clause.negate ? !ok : ok;
}

/** Stripe's search (`metadata['k']:'v' AND status:'active'`, `~` substring, numeric comparisons); `page` is an offset. */
export function searchPage<T extends { id: string }>(items: T[], params: Params, url: string) {
  const query = str(params, 'query');
  if (!query) throw invalid('Missing required param: query.', 'query', 'parameter_missing');
  const clauses = parseQuery(query);
  const found = items.filter((item) => clauses.every((c) => matches(item, c)));
  const limit = num(params, 'limit') ?? 10;
  const offset = Number(str(params, 'page') ?? 0);
  const data = found.slice(offset, offset + limit);
  const hasMore = found.length > offset + limit;
  return { object: 'search_result', data, has_more: hasMore, next_page: hasMore ? String(offset + limit) : null, url, total_count: found.length };
}
