/**
 * PLATFORM_WEBHOOK_URL as fetch can use it. Receivers are often protected by credentials in the URL
 * (`https://user:pass@host/hook`), which fetch refuses to send ("Request cannot be constructed from a URL that
 * includes credentials"): they go as an `Authorization: Basic` header instead, the URL stripped of them. The
 * credentials and the query string (a token, often) are secrets: nothing stored, logged or answered shows them.
 */
export interface WebhookTarget {
  /** What fetch is given: the URL without credentials (the query string stays: the receiver may need it). */
  url: string;
  /** `Basic <base64 user:password>` when the URL carried credentials. */
  authorization?: string;
  /** The values never to show (the credentials, raw and decoded, the query string and each of its values). */
  secrets: string[];
}

/** A malformed %-sequence stays as written (the URL parser keeps it so). */
const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function webhookTarget(raw: string): WebhookTarget {
  const url = new URL(raw);
  const [user, password, query] = [url.username, url.password, url.search.slice(1)];
  const secrets = [user, password, decode(user), decode(password), query, decode(query), ...[...url.searchParams.values()]];
  const authorization = user || password ? `Basic ${Buffer.from(`${decode(user)}:${decode(password)}`).toString('base64')}` : undefined;
  if (authorization) secrets.push(authorization.slice('Basic '.length));
  url.username = '';
  url.password = '';
  return { url: url.href, authorization, secrets: [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length) };
}

/**
 * A failure's text with any URL cut to its origin and path, and every secret of the target replaced: an error
 * from below (undici, DNS) may quote the URL it was given.
 */
export function redactTarget(text: string, target: WebhookTarget): string {
  let out = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (found) => {
    try {
      const u = new URL(found);
      return `${u.origin}${u.pathname}`;
    } catch {
      return '[url]';
    }
  });
  for (const secret of target.secrets) out = out.split(secret).join('[redacted]');
  return out;
}
