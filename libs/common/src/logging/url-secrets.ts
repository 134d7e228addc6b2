/**
 * A URL's credentials (`https://user:password@host`) and query string (`?token=…`) out of a text: what an outbound
 * call's error may quote (undici, DNS and HTTP clients name the URL they were given). Every error that is logged
 * (the logger's serializer) or stored (a job run's `error`) passes through it; the scheme, host and path stay, enough
 * to tell which call failed.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]*@)?([^\s?#"'<>]*)(\?[^\s#"'<>]*)?/gi;

export function redactUrlSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, (_match, scheme: string, credentials: string | undefined, rest: string, query: string | undefined) =>
    `${scheme}${credentials ? '[redacted]@' : ''}${rest}${query ? '?[redacted]' : ''}`,
  );
}
