import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { inspectRawInput, MAX_INPUT_FIELDS } from './raw-input.js';
import { IsEmailAddress, OptionalField } from './validators.js';

class Probe {
  @IsEmailAddress()
  email: unknown;

  @OptionalField() @IsEmailAddress()
  other?: unknown;
}

const errorsOf = (values: Partial<Probe>) => validateSync(Object.assign(new Probe(), values)).map((e) => e.property);

describe('API validators', () => {
  it('answers false instead of throwing for an e-mail validator.js cannot read', () => {
    expect(errorsOf({ email: '\ud800x@shop.test' })).toEqual(['email']);
    expect(errorsOf({ email: 'a@b.test' })).toEqual([]);
  });

  it('treats an optional field as absent or valid, never null', () => {
    expect(errorsOf({ email: 'a@b.test', other: undefined })).toEqual([]);
    expect(errorsOf({ email: 'a@b.test', other: null })).toEqual(['other']);
  });
});

describe('inspectRawInput', () => {
  it('names each field holding text PostgreSQL cannot store, keys included', () => {
    const verdict = inspectRawInput({ a: 'ok', b: 'x\u0000', c: { d: '\udc00' }, e: ['\ud83d\ude00', '\ud83d'], 'f\u0000': 1 }, 'body', 'request body');
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.errors.map((e) => e.field)).toEqual(['b', 'f\ufffd', 'e.1', 'c.d']);
  });

  it('stops counting at the field limit and refuses prototype keys', () => {
    const big = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`k${i}`, i]));
    const verdict = inspectRawInput(big, 'body', 'request body');
    expect(verdict.ok === false && verdict.errors).toEqual([{ field: 'body', messages: [`The request body has more than ${MAX_INPUT_FIELDS} fields; no route takes that many.`] }]);
    expect(inspectRawInput(JSON.parse('{"__proto__":{"x":1}}'), 'body', 'request body').ok).toBe(false);
    expect(inspectRawInput({ name: 'Mug \ud83d\ude00', price_cents: 1 }, 'body', 'request body')).toEqual({ ok: true });
  });
});
