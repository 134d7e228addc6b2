/** A decoded Stripe form value: strings at the leaves (Stripe sends numbers and booleans as strings). */
export type Param = string | Param[] | Params;
export interface Params {
  [key: string]: Param;
}

/** `a[b][0][c]` → ['a', 'b', '0', 'c']; `expand[]` → ['expand', '']. */
function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first < 0) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(key.slice(first))) !== null) parts.push(match[1]);
  return parts;
}

function assign(target: Params, path: string[], value: string): void {
  let node: Params = target;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i];
    const nextIsPush = path[i + 1] === '';
    if (nextIsPush) {
      const existing = node[segment];
      const list = Array.isArray(existing) ? existing : [];
      node[segment] = list;
      if (i + 1 === path.length - 1) {
        list.push(value);
        return;
      }
      // `a[][b]=x`: Stripe clients never send it; start a new element for each occurrence.
      const element: Params = {};
      list.push(element);
      node = element;
      i++;
      continue;
    }
    const existing = node[segment];
    if (existing === undefined || typeof existing === 'string' || Array.isArray(existing)) node[segment] = {};
    node = node[segment] as Params;
  }
  node[path[path.length - 1]] = value;
}

/** Objects whose keys are exactly 0..n-1 (the SDK's `items[0][price]` encoding) become arrays; metadata stays as is. */
function arrayify(value: Param, key = ''): Param {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => arrayify(v));
  const keys = Object.keys(value);
  const out: Params = {};
  for (const k of keys) out[k] = key === 'metadata' ? value[k] : arrayify(value[k], k);
  if (key !== 'metadata' && keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.map(Number).sort((a, b) => a - b).map((i) => out[String(i)]);
  }
  return out;
}

/** Parses `application/x-www-form-urlencoded` (or a query string) with Stripe's bracket notation into nested params. */
export function parseForm(body: string): Params {
  const root: Params = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    assign(root, splitKey(key), value);
  }
  return arrayify(root) as Params;
}
