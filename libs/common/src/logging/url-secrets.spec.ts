import { redactUrlSecrets } from './url-secrets.js';

describe('redactUrlSecrets', () => {
  it("takes a URL's credentials and query string out of a text, keeping scheme, host and path", () => {
    expect(redactUrlSecrets('Request cannot be constructed from a URL that includes credentials: http://user:pass@hooks.test/hook?sig=abc#x')).toBe(
      'Request cannot be constructed from a URL that includes credentials: http://[redacted]@hooks.test/hook?[redacted]#x',
    );
    expect(redactUrlSecrets('getaddrinfo ENOTFOUND https://api.stripe.test:443/v1/customers?email=a%40b.test then "postgres://app:s3cret@db:5432/x"')).toBe(
      'getaddrinfo ENOTFOUND https://api.stripe.test:443/v1/customers?[redacted] then "postgres://[redacted]@db:5432/x"',
    );
  });

  it('leaves texts without secrets alone', () => {
    for (const text of ['at file:///app/dist/main.js:10:5', 'https://example.test/path', 'no url here', 'a@b.test wrote']) expect(redactUrlSecrets(text)).toBe(text);
  });
});
