import type { StripeState } from './store.js';

function expandAt(node: unknown, parts: string[], state: StripeState): unknown {
  if (Array.isArray(node)) return node.map((element) => expandAt(element, parts, state));
  if (!node || typeof node !== 'object' || parts.length === 0) return node;
  const record = node as Record<string, unknown>;
  const [head, ...rest] = parts;
  const value = record[head];
  if (typeof value === 'string') {
    const target = state.lookup(value);
    if (target) record[head] = expandAt(structuredClone(target), rest, state);
  } else if (value !== undefined) {
    record[head] = expandAt(value, rest, state);
  }
  return node;
}

/** Stripe's `expand[]`: a copy of `object` with each dotted path's id replaced by the object it names. */
export function expandObject(object: object, paths: string[], state: StripeState): object {
  if (paths.length === 0) return object;
  const copy = structuredClone(object);
  for (const path of paths) expandAt(copy, path.split('.'), state);
  return copy;
}

/** Top-level fields of `before` that differ from `after`: the event's `previous_attributes`. */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  const a = after as Record<string, unknown>;
  for (const [key, value] of Object.entries(before)) {
    if (JSON.stringify(value) !== JSON.stringify(a[key])) changed[key] = value;
  }
  return changed;
}
