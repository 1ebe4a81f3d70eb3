/**
 * The one canonical form of URLs in this package: storage keys, provider and server URLs, the
 * protected resource, issuers. Our own (not the SDK's `resourceUrlFromServerUrl`, which does the
 * same today) because storage keys are persisted: they must not move with an SDK upgrade.
 */

/**
 * `value` as WHATWG URL parsing prints it (scheme and host lower-cased, default port dropped),
 * without its fragment: one spelling per URL. Throws a `TypeError` for anything that is not an
 * absolute URL.
 */
export function canonicalUrl(value: string | URL): string {
  const url = new URL(value)
  url.hash = ''
  return url.href
}

/**
 * Whether two URLs name the same thing: equal canonical forms, up to one trailing slash
 * (`https://as.example.com` and `https://as.example.com/` are one issuer, one resource, as
 * RFC 8414 §3.3 and RFC 8707 implementations treat them). Values that are not URLs compare as
 * given.
 */
export function sameUrlUpToTrailingSlash(a: string | URL, b: string | URL): boolean {
  const comparable = (value: string | URL) => {
    let text: string
    try {
      text = canonicalUrl(value)
    } catch {
      text = String(value)
    }
    return text.endsWith('/') ? text.slice(0, -1) : text
  }
  return comparable(a) === comparable(b)
}

/** Whether `hostname` (as `URL.hostname` spells it) is this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]' ||
    hostname.endsWith('.localhost')
  )
}
