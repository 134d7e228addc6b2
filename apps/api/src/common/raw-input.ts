import type { FieldError } from '@app/common';

/** More fields than any route takes: such a body is refused before anything walks it key by key. */
export const MAX_INPUT_FIELDS = 100;
/** No route takes anything deeper; class-transformer recurses per level, so a far deeper body would overflow it. */
export const MAX_INPUT_DEPTH = 32;
/** `details.errors` lists at most this many problems. */
export const MAX_LISTED_ERRORS = 50;

/** U+0000 (PostgreSQL's text and jsonb refuse it) or a UTF-16 surrogate without its pair (not text at all). */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Keys no DTO has and that mean the prototype chain: refused like any unknown field, not silently dropped. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isUnstorableText(value: string): boolean {
  return UNSTORABLE.test(value);
}

export type RawInputVerdict = { ok: true } | { ok: false; errors: FieldError[]; message: string };

/**
 * Looks at a request's body, query or path values as they arrived, before class-transformer copies them: at most
 * MAX_INPUT_FIELDS keys and array items in all (it stops counting there, so a body of 90,000 keys costs what one
 * of 101 does), no deeper than MAX_INPUT_DEPTH, and no string, key or value, PostgreSQL cannot store. Iterative,
 * so the walk itself cannot overflow the stack.
 */
export function inspectRawInput(value: unknown, root: string, scope: string): RawInputVerdict {
  if (typeof value === 'string') {
    return isUnstorableText(value) ? refuse([unstorable(root)]) : { ok: true };
  }
  if (value === null || typeof value !== 'object') return { ok: true };
  const errors: FieldError[] = [];
  const stack: Array<[object, string, number]> = [[value, '', 0]];
  let fields = 0;
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (depth >= MAX_INPUT_DEPTH) return refuse([{ field: root, messages: [`The ${scope} nests deeper than ${MAX_INPUT_DEPTH} levels.`] }]);
    // for…in, not Object.keys(): stopping at the limit must not first copy every key of a huge object.
    for (const key in node) {
      if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
      if (++fields > MAX_INPUT_FIELDS) {
        return refuse([{ field: root, messages: [`The ${scope} has more than ${MAX_INPUT_FIELDS} fields; no route takes that many.`] }]);
      }
      const field = path ? `${path}.${key}` : key;
      const child = (node as Record<string, unknown>)[key];
      if (FORBIDDEN_KEYS.has(key)) {
        if (errors.length < MAX_LISTED_ERRORS) errors.push({ field, messages: [`${field} is not allowed`] });
      } else if (isUnstorableText(key) || (typeof child === 'string' && isUnstorableText(child))) {
        if (errors.length < MAX_LISTED_ERRORS) errors.push(unstorable(displayable(field)));
      } else if (child !== null && typeof child === 'object') {
        stack.push([child, field, depth + 1]);
      }
    }
  }
  return errors.length > 0 ? refuse(errors) : { ok: true };
}

function unstorable(field: string): FieldError {
  return { field, messages: [`${field} contains a NUL character or an unpaired UTF-16 surrogate`] };
}

/** The field's name as the answer shows it: without the characters that made it unstorable. */
function displayable(field: string): string {
  return field.replace(new RegExp(UNSTORABLE.source, 'g'), '\ufffd');
}

function refuse(errors: FieldError[]): RawInputVerdict {
  const message = errors.map((e) => e.messages.join(', ')).join('; ');
  return { ok: false, errors, message };
}
