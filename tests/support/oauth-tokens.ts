// A minimal token issuer for resource-server tests: RSA keys, RS256 JWTs signed with node:crypto
// (not with jose, the library under test), and a JWKS served over HTTP on 127.0.0.1.
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto'
import http from 'node:http'

/** An RS256 signing key with its public JWK. */
export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicJwk: Record<string, unknown>
}

/** A fresh 2048-bit RSA key; `kid` names it in the JWKS and in token headers. */
export function createSigningKey(kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }
  return { kid, privateKey, publicJwk }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** A compact JWS: `header.payload.signature`, RS256 over the first two parts. */
export function signJwt(
  claims: Record<string, unknown>,
  key: SigningKey,
  header: Record<string, unknown> = {},
): string {
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header }))
  const body = base64url(JSON.stringify(claims))
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key.privateKey)
  return `${head}.${body}.${base64url(signature)}`
}

/** A test issuer: its identifier, JWKS endpoint, and `mint()` for access tokens. */
export interface TestIssuer {
  /** Issuer identifier (`iss`), the JWKS server's origin. */
  issuer: string
  jwksUrl: string
  key: SigningKey
  /** JWKS fetches so far (to check caching). */
  readonly jwksFetches: number
  /**
   * An RFC 9068-style access token: `iss`, `aud` (= `audience`), `sub`, `client_id`, `scope`,
   * `iat`, `exp` (now + `expiresIn`, default 300 s), `jti`; `overrides` replace any of them
   * (`undefined` removes one).
   */
  mint(options: {
    sub: string
    audience: string | string[]
    scope?: string
    clientId?: string
    expiresIn?: number
    overrides?: Record<string, unknown>
    key?: SigningKey
    header?: Record<string, unknown>
  }): string
  close(): Promise<void>
}

/** Starts a JWKS server on 127.0.0.1 for one signing key and returns the issuer around it. */
export async function startTestIssuer(): Promise<TestIssuer> {
  const key = createSigningKey('test-key-1')
  let fetches = 0
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks') {
      fetches++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: [key.publicJwk] }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('no address')
  const issuer = `http://127.0.0.1:${address.port}`
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    key,
    get jwksFetches() {
      return fetches
    },
    mint({
      sub,
      audience,
      scope = '',
      clientId = 'test-client',
      expiresIn = 300,
      overrides = {},
      key: signingKey = key,
      header,
    }) {
      const now = Math.floor(Date.now() / 1000)
      const claims: Record<string, unknown> = {
        iss: issuer,
        sub,
        aud: audience,
        client_id: clientId,
        scope,
        iat: now,
        exp: now + expiresIn,
        jti: randomUUID(),
        ...overrides,
      }
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete claims[name]
      }
      return signJwt(claims, signingKey, header)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
