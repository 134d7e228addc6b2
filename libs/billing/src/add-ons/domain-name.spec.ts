import { normalizeDomainName } from './domain-name.js';

describe('normalizeDomainName', () => {
  it.each([
    ['shop.example.com', 'shop.example.com'],
    ['  Shop.Example.COM. ', 'shop.example.com'],
    ['my-shop.eu', 'my-shop.eu'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a.b.c.d.example.co', 'a.b.c.d.example.co'],
  ])('accepts %p as %p', (input, expected) => {
    expect(normalizeDomainName(input)).toBe(expected);
  });

  it.each(['', 'localhost', '10.0.0.1', 'not a host', '-bad-.com', 'bad-.com', '*.example.com', 'example.com:8080', 'example.com/path', 'example.c', 'example.123', `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}com`])(
    'refuses %p',
    (input) => {
      expect(normalizeDomainName(input)).toBeNull();
    },
  );
});
