import { createHash, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWSHeaderParameters,
} from 'jose';
import type { GatewayAuthConfig, GatewayJwtConfig } from '../config/gateway-schema.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { pokeOnChange } from './file-poke.ts';
import type { RevocationProblem } from './revocation-entries.ts';
import { RevocationList } from './revocation-list.ts';

interface ApiKey {
  id: string;
  hash: Buffer;
  scopes: string[];
}

/** Who made a request: an API key id or a token subject. `id` keys rate limits and session ownership. */
export interface Principal {
  kind: 'api-key' | 'jwt' | 'anonymous';
  /**
   * Namespaced, so ids of different kinds never collide: `key:ID` (API key id), `jwt:ISSUER:SUBJECT`
   * (the token's `sub`, or `auth.jwt.principalClaim`), `addr:ADDRESS` (no auth: the client address).
   */
  id: string;
  scopes: string[];
  /**
   * When the credential stops being accepted (epoch ms: a token's `exp` plus the clock tolerance);
   * the sessions it opened end then. Undefined: it does not expire (API keys, anonymous).
   */
  expiresAt?: number;
  /**
   * Whether the credential is revoked now (the revocation file as last read). Undefined: it cannot
   * be revoked (anonymous).
   */
  revoked?: () => boolean;
}

/**
 * The result of checking a request's credentials. Refusals carry the HTTP status and the RFC 6750
 * error code for WWW-Authenticate; `reason` is a bounded label for metrics.
 */
export type AuthResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      status: 401 | 403;
      error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
      description: string;
      reason:
        | 'missing'
        | 'malformed'
        | 'invalid'
        | 'expired'
        | 'claims'
        | 'subject'
        | 'algorithm'
        | 'revoked'
        | 'scope';
    };

/**
 * Bearer-token authentication: static API keys (compared by sha256, constant time) and JWT access
 * tokens (RS256/ES256/EdDSA against a JWKS or PEM; HS* only with an explicit shared secret; `none`
 * never), with issuer, audience, expiry, scope and revocation checks.
 */
export class Authenticator {
  readonly #config: GatewayAuthConfig;
  readonly #keys: ApiKey[];
  readonly #revoked: RevocationList;
  readonly #getKey: JWTVerifyGetKey | undefined;

  /**
   * Throws WardenError('config') when the revocation file has a line that does not say what it
   * revokes; `onRevocationProblem` hears of such lines after start-up and of lines that match nothing.
   */
  constructor(
    config: GatewayAuthConfig,
    onRevocationProblem?: (problem: RevocationProblem & { file: string }) => void,
  ) {
    this.#config = config;
    this.#keys = config.apiKeys.map((k) => ({
      id: k.id,
      hash: Buffer.from(k.sha256.toLowerCase(), 'hex'),
      scopes: k.scopes ?? [],
    }));
    this.#revoked = new RevocationList(config.revocationFile, 100, {
      context: { keyIds: config.apiKeys.map((k) => k.id), issuer: config.jwt?.issuer },
      ...(onRevocationProblem ? { onProblem: onRevocationProblem } : {}),
    });
    this.#getKey = config.jwt ? keyResolver(config.jwt) : undefined;
  }

  /**
   * Watch the revocation file (its directory, plus a poll every `pollMs`) and call `onChange` after
   * each change is loaded, so open sessions can be checked again. Returns the stop function; a no-op
   * without a revocation file.
   */
  watchRevocations(onChange: () => void, pollMs = 250): () => void {
    const file = this.#revoked.file;
    if (file === undefined) return () => undefined;
    let stopped = false;
    this.#revoked.onChange(() => {
      // Deferred: a reload may happen inside has(), in the middle of authenticating a request.
      if (!stopped) setImmediate(() => !stopped && onChange());
    });
    const stop = pokeOnChange(file, () => this.#revoked.reload(), pollMs);
    return () => {
      stopped = true;
      stop();
    };
  }

  /** Scopes a token must carry (advertised in protected-resource metadata). */
  get requiredScopes(): string[] {
    return this.#config.jwt?.requiredScopes ?? [];
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    if (authorization === undefined || authorization === '') {
      return refuse(401, 'invalid_request', 'missing', 'a bearer token is required');
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
    if (!match?.[1])
      return refuse(401, 'invalid_request', 'malformed', 'expected "Authorization: Bearer TOKEN"');
    const token = match[1];
    if (this.#config.jwt && /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token))
      return this.#verifyJwt(token, this.#config.jwt);
    return this.#checkApiKey(token);
  }

  #checkApiKey(token: string): AuthResult {
    const hash = createHash('sha256').update(token).digest();
    // Compare against every key so the time taken does not tell which one matched.
    let found: ApiKey | undefined;
    for (const key of this.#keys) {
      if (timingSafeEqual(hash, key.hash) && found === undefined) found = key;
    }
    if (!found) return refuse(401, 'invalid_token', 'invalid', 'unknown token');
    const key = found;
    // Asked again for open sessions whenever the revocation file changes.
    const revoked = (): boolean => this.#revoked.has(`key:${key.id}`);
    if (revoked()) return refuse(401, 'invalid_token', 'revoked', 'the token was revoked');
    return { ok: true, principal: { kind: 'api-key', id: `key:${found.id}`, scopes: found.scopes, revoked } };
  }

  async #verifyJwt(token: string, jwt: GatewayJwtConfig): Promise<AuthResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#getKey!, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.algorithms,
        clockTolerance: jwt.clockToleranceSec,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return jwtRefusal(error);
    }
    // One claim names the principal (default `sub`): never a fallback to another claim, so a token
    // whose `jti` happens to equal someone's `sub` cannot become that someone.
    const claim = jwt.principalClaim;
    const subject = payload[claim];
    if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
      return refuse(
        401,
        'invalid_token',
        'subject',
        subject === undefined
          ? `the token has no ${claim} claim, which names its principal (auth.jwt.principalClaim)`
          : `the token's ${claim} claim is not a string of 1 to 256 printable characters`,
      );
    }
    const id = `jwt:${jwt.issuer}:${subject}`;
    const jti = typeof payload.jti === 'string' ? `jti:${payload.jti}` : undefined;
    // Asked again for open sessions whenever the revocation file changes.
    const revoked = (): boolean => this.#revoked.has(id, jti);
    if (revoked()) {
      return refuse(401, 'invalid_token', 'revoked', 'the token was revoked');
    }
    const scopes = tokenScopes(payload);
    const missing = jwt.requiredScopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      return refuse(403, 'insufficient_scope', 'scope', `the token lacks scope ${missing.join(' ')}`);
    }
    return {
      ok: true,
      principal: {
        kind: 'jwt',
        id,
        scopes,
        revoked,
        // The same leeway the check above allowed: a session never outlives an acceptable token.
        ...(payload.exp === undefined ? {} : { expiresAt: (payload.exp + jwt.clockToleranceSec) * 1000 }),
      },
    };
  }
}

/** A principal name: 1 to 256 characters, no control or format characters, not blank at the start. */
const SUBJECT = /^[^\p{Cc}\p{Cf}\p{Z}][^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{0,255}$/u;

function refuse(
  status: 401 | 403,
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
  reason: Extract<AuthResult, { ok: false }>['reason'],
  description: string,
): AuthResult {
  return { ok: false, status, error, reason, description };
}

function jwtRefusal(error: unknown): AuthResult {
  if (error instanceof joseErrors.JWTExpired)
    return refuse(401, 'invalid_token', 'expired', 'the token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return refuse(401, 'invalid_token', 'claims', `token claim check failed: ${error.claim}`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return refuse(401, 'invalid_token', 'algorithm', 'the token algorithm is not allowed');
  }
  return refuse(401, 'invalid_token', 'invalid', 'the token signature or format is invalid');
}

/** Scopes from `scope` (space separated, RFC 8693) or `scp` (array or string). */
function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** One key source per algorithm family: the shared secret for HS*, else the PEM key or the JWKS. */
function keyResolver(jwt: GatewayJwtConfig): JWTVerifyGetKey {
  const secret = jwt.sharedSecret === undefined ? undefined : new TextEncoder().encode(jwt.sharedSecret);
  const pem = jwt.publicKeyPem === undefined ? undefined : loadPem(jwt.publicKeyPem);
  const jwks =
    jwt.jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(new URL(jwt.jwksUrl), { cooldownDuration: 30_000 });
  return async (header: JWSHeaderParameters, token) => {
    // jwtVerify checks `alg` against the allow-list before asking for a key.
    if (header.alg?.startsWith('HS')) {
      if (!secret) throw new joseErrors.JOSEAlgNotAllowed('HMAC tokens need a configured shared secret');
      return secret;
    }
    if (pem) return pem;
    if (jwks) return jwks(header, token);
    throw new joseErrors.JOSEAlgNotAllowed('no public key configured');
  };
}

function loadPem(value: string): KeyObject {
  const text = value.includes('-----BEGIN') ? value : readPemFile(value);
  try {
    return createPublicKey(text);
  } catch (error) {
    throw new WardenError('config', `auth.jwt.publicKeyPem: not a public key: ${errorMessage(error)}`);
  }
}

function readPemFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('config', `auth.jwt.publicKeyPem: cannot read ${file}: ${errorMessage(error)}`);
  }
}
