import { matchesRange, missing, str, strings } from '../params.js';
import { listPage, newestFirst, route, type Route } from './common.js';

/** `type` accepts Stripe's `*` wildcard (`customer.subscription.*`). */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (type) => type === pattern;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return (type) => re.test(type);
}

export const eventRoutes: Route[] = [
  route('GET', '/v1/events/:id', ({ captures, state }) => {
    const event = state.events.get(captures[0]);
    if (!event) throw missing('event', captures[0]);
    return event;
  }),
  route('GET', '/v1/events', ({ params, state }) => {
    const type = str(params, 'type');
    const types = strings(params, 'types');
    const matchers = [...(type ? [type] : []), ...types].map(typeMatcher);
    const all = newestFirst(state.events.values()).filter((e) => (matchers.length === 0 || matchers.some((m) => m(e.type))) && matchesRange(e.created, params, 'created'));
    return listPage(all, params, '/v1/events');
  }),
];
