import { isStandardWebhookSecret } from '@app/common';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { standardWebhookHeaders } from './platform-event-signature.js';
import { redactTarget, webhookTarget } from './webhook-target.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('Standard Webhooks headers', () => {
  const body = '{"id":"e1","type":"trial.ending"}';

  it('are what the standardwebhooks verifier accepts, for this body and id only', () => {
    const headers = standardWebhookHeaders(new Webhook(SECRET), 'e1', body, new Date());
    expect(headers['webhook-id']).toBe('e1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual({ id: 'e1', type: 'trial.ending' });
    expect(() => new Webhook(SECRET).verify(body.replace('e1', 'e2'), headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(SECRET).verify(body, { ...headers, 'webhook-id': 'e2' })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('carry the time of the attempt, which the verifier holds to 5 minutes', () => {
    const stale = standardWebhookHeaders(new Webhook(SECRET), 'e1', body, new Date(Date.now() - 301_000));
    expect(() => new Webhook(SECRET).verify(body, stale)).toThrow(/too old/);
  });
});

describe('isStandardWebhookSecret', () => {
  it('takes whsec_ + padded base64 of 24 bytes or more, nothing else', () => {
    expect(isStandardWebhookSecret(SECRET)).toBe(true);
    expect(isStandardWebhookSecret(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBe(true);
    expect(isStandardWebhookSecret(`whsec_${Buffer.alloc(23, 1).toString('base64')}`)).toBe(false);
    expect(isStandardWebhookSecret(Buffer.alloc(32, 7).toString('base64'))).toBe(false); // no prefix
    expect(isStandardWebhookSecret('platform-receiver-secret-0123456789')).toBe(false);
    expect(isStandardWebhookSecret('whsec_bench_webhooks_not-base64-at-all!!')).toBe(false);
    expect(isStandardWebhookSecret(`whsec_${Buffer.alloc(32, 7).toString('base64url')}`)).toBe(false);
    expect(isStandardWebhookSecret(`whsec_${Buffer.alloc(32, 7).toString('hex')}`)).toBe(true); // hex is base64 too (48 bytes)
  });
});

describe('webhookTarget', () => {
  it('moves URL credentials into a Basic header and keeps them and the query out of any text', () => {
    const target = webhookTarget('http://us%40er:p%3Ass@hooks.example:8080/in?token=abc123');
    expect(target.url).toBe('http://hooks.example:8080/in?token=abc123');
    expect(target.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    const text = redactTarget('connect failed for http://us%40er:p%3Ass@hooks.example:8080/in?token=abc123 (us@er, p:ss, abc123)', target);
    expect(text).toBe('connect failed for http://hooks.example:8080/in ([redacted], [redacted], [redacted])');
    expect(webhookTarget('https://hooks.example/in')).toEqual({ url: 'https://hooks.example/in', authorization: undefined, secrets: [] });
  });
});
