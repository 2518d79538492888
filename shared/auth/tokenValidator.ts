import { KeyObject, verify, type webcrypto } from "node:crypto";

import {
  createRemoteJWKSet,
  errors as joseErrors,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from "jose";

import type { AuthConfig } from "../config.js";
import { isGuid } from "../domain/ids.js";
import type { Caller } from "../domain/model.js";
import {
  ForbiddenError,
  InsufficientScopeError,
  ServiceUnavailableError,
  UnauthorizedError,
} from "../errors.js";

/**
 * Turns the `Authorization` header into the caller, or refuses it. Nothing else in the app reads the
 * raw token (SPEC §3).
 */
export interface TokenValidator {
  authenticate(authorization: string | null | undefined): Promise<Caller>;
}

export interface TokenValidatorOptions {
  /** Least time between two JWKS fetches caused by an unknown `kid` (jose's `cooldownDuration`). */
  readonly jwksCooldownMs?: number;
  /** How long fetched signing keys are trusted before the next token refetches them (jose's `cacheMaxAge`). */
  readonly jwksMaxAgeMs?: number;
  /** Leeway for `exp`/`nbf`, in seconds; never more than five minutes. */
  readonly clockToleranceSeconds?: number;
  /** Verified tokens remembered until their own `exp`. */
  readonly cacheSize?: number;
  readonly now?: () => Date;
}

/** Larger than any Entra access token (even with many groups), small enough to refuse before parsing. */
export const maxTokenLength = 16 * 1024;
/** Entra backdates `nbf` already; a minute absorbs the drift between NTP-synced hosts. */
export const defaultClockToleranceSeconds = 60;
const maxClockToleranceSeconds = 5 * 60;
const defaultCacheSize = 1000;
const minRsaModulusBits = 2048;

const base64url = /^[A-Za-z0-9_-]+$/;
/** Enough of an RS256 signature (256 random bits) to tell verified tokens apart. */
const cacheKeyLength = 43;
/** Headers that would let the token choose its own key; Entra never sends them, so they are refused. */
const keyCarryingHeaders = ["jku", "x5u", "jwk", "x5c"] as const;

interface VerifiedToken {
  readonly token: string;
  readonly caller: Caller;
  /** The token's own `exp`, in ms: the entry is never served past it. */
  readonly expiresAtMs: number;
}

export function createTokenValidator(
  config: AuthConfig,
  options: TokenValidatorOptions = {},
): TokenValidator {
  return new EntraTokenValidator(config, options);
}

class EntraTokenValidator implements TokenValidator {
  private readonly signingKeys: ReturnType<typeof createRemoteJWKSet>;
  private readonly keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
  /** Keyed by the signature's tail (short to hash); the entry holds the whole token, compared in full. */
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly nowMs: () => number;
  private readonly toleranceSeconds: number;
  private readonly cacheSize: number;
  private readonly issuers: ReadonlySet<string>;
  private readonly audiences: ReadonlySet<string>;

  constructor(
    private readonly config: AuthConfig,
    options: TokenValidatorOptions,
  ) {
    this.signingKeys = createRemoteJWKSet(new URL(config.jwksUri), {
      ...(options.jwksCooldownMs === undefined ? {} : { cooldownDuration: options.jwksCooldownMs }),
      ...(options.jwksMaxAgeMs === undefined ? {} : { cacheMaxAge: options.jwksMaxAgeMs }),
    });
    const now = options.now;
    this.nowMs = now === undefined ? Date.now : () => now().getTime();
    this.toleranceSeconds = Math.min(
      Math.max(0, options.clockToleranceSeconds ?? defaultClockToleranceSeconds),
      maxClockToleranceSeconds,
    );
    this.cacheSize = Math.max(0, options.cacheSize ?? defaultCacheSize);
    this.issuers = new Set(config.issuers);
    this.audiences = new Set(config.audiences);
  }

  async authenticate(authorization: string | null | undefined): Promise<Caller> {
    const token = bearerToken(authorization);
    const nowMs = this.nowMs();
    const cacheKey = token.slice(-cacheKeyLength);

    const remembered = this.verified.get(cacheKey);
    if (remembered !== undefined && remembered.token === token) {
      if (nowMs < remembered.expiresAtMs) {
        // Most recently used last: Map keeps insertion order, so the first key is the eviction candidate.
        this.verified.delete(cacheKey);
        this.verified.set(cacheKey, remembered);
        return remembered.caller;
      }
      this.verified.delete(cacheKey);
    }

    const [encodedHeader, encodedClaims, signature] = splitToken(token);
    const header = readHeader(encodedHeader);
    if (!base64url.test(signature)) throw new UnauthorizedError("The bearer token is malformed.");
    const key = await this.signingKey(header);
    // jose finds the key; node:crypto checks the signature, since jose's WebCrypto path costs 5-6x a raw verify.
    const signatureValid = verify(
      "RSA-SHA256",
      Buffer.from(token.slice(0, token.length - signature.length - 1), "latin1"),
      key,
      Buffer.from(signature, "base64url"),
    );
    if (!signatureValid) throw new UnauthorizedError("The token's signature is not valid.");

    const claims = readClaims(encodedClaims);
    const expiresAtMs = this.checkClaims(claims, nowMs);
    const caller = this.toCaller(claims);
    this.remember(cacheKey, { token, caller, expiresAtMs });
    return caller;
  }

  private async signingKey(header: ProtectedHeaderParameters): Promise<KeyObject> {
    let cryptoKey: webcrypto.CryptoKey;
    try {
      cryptoKey = await this.signingKeys(header);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys
      ) {
        throw new UnauthorizedError("The token's signing key is not one of the issuer's keys.", {
          cause: error,
        });
      }
      // An outage of the key endpoint is not the caller's fault: the token may well be good.
      throw new ServiceUnavailableError(
        "signing_keys_unavailable",
        "The identity provider's signing keys could not be fetched; try again shortly.",
        { cause: error },
      );
    }
    let key = this.keyObjects.get(cryptoKey);
    if (key === undefined) {
      key = KeyObject.from(cryptoKey);
      this.keyObjects.set(cryptoKey, key);
    }
    if (
      key.type !== "public" ||
      key.asymmetricKeyType !== "rsa" ||
      (key.asymmetricKeyDetails?.modulusLength ?? 0) < minRsaModulusBits
    ) {
      throw new UnauthorizedError("The token's signing key is not an accepted RSA key.");
    }
    return key;
  }

  /** Checks every claim the API relies on; returns the token's `exp` in ms. */
  private checkClaims(claims: JWTPayload, nowMs: number): number {
    const nowSeconds = nowMs / 1000;
    if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) {
      throw new UnauthorizedError("The token has no expiry.");
    }
    if (claims.exp <= nowSeconds - this.toleranceSeconds)
      throw new UnauthorizedError("The token has expired.");
    if (claims.nbf !== undefined) {
      if (typeof claims.nbf !== "number" || !Number.isFinite(claims.nbf)) {
        throw new UnauthorizedError("The token's not-before time is malformed.");
      }
      if (claims.nbf > nowSeconds + this.toleranceSeconds)
        throw new UnauthorizedError("The token is not valid yet.");
    }
    if (typeof claims.iss !== "string" || !this.issuers.has(claims.iss)) {
      throw new UnauthorizedError("The token was not issued by an issuer this API trusts.");
    }
    const tenantId = claims.tid;
    if (typeof tenantId !== "string" || tenantId.toLowerCase() !== this.config.tenantId) {
      throw new UnauthorizedError("The token was issued for another tenant.");
    }
    const aud: unknown = claims.aud;
    const audiences: unknown[] = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.some((audience) => typeof audience === "string" && this.audiences.has(audience))) {
      throw new UnauthorizedError("The token was issued for another audience.");
    }
    if (!isUserToken(claims)) {
      throw new ForbiddenError(
        "forbidden",
        "App-only tokens are not accepted: call this API on behalf of a user.",
      );
    }
    if (!(claims.scp as string).split(" ").includes(this.config.requiredScope)) {
      throw new InsufficientScopeError(this.config.requiredScope);
    }
    return claims.exp * 1000;
  }

  private toCaller(claims: JWTPayload): Caller {
    const username = firstText(claims.preferred_username, claims.upn, claims.email, claims.unique_name) ?? "";
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role) => typeof role === "string") : [];
    return Object.freeze({
      id: (claims.oid as string).toLowerCase(),
      tenantId: (claims.tid as string).toLowerCase(),
      name: firstText(claims.name) ?? username,
      username,
      appRoles: Object.freeze(roles),
      ...((claims.acct === 0 || claims.acct === 1) && { guest: claims.acct === 1 }),
    });
  }

  private remember(cacheKey: string, entry: VerifiedToken): void {
    if (this.cacheSize === 0) return;
    this.verified.delete(cacheKey);
    while (this.verified.size >= this.cacheSize) {
      const oldest = this.verified.keys().next();
      if (oldest.done === true) break;
      this.verified.delete(oldest.value);
    }
    this.verified.set(cacheKey, entry);
  }
}

function bearerToken(authorization: string | null | undefined): string {
  if (authorization === null || authorization === undefined || authorization.trim() === "") {
    throw new UnauthorizedError("The request carries no bearer token.");
  }
  if (authorization.length > maxTokenLength + 64)
    throw new UnauthorizedError("The bearer token is too large.");
  // The scheme is case-insensitive (RFC 9110); a plain slice keeps a repeated token's cost to a few microseconds.
  if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== "bearer ") {
    throw new UnauthorizedError("The Authorization header must be 'Bearer <token>'.");
  }
  const token = authorization.slice(7).trim();
  if (token === "") throw new UnauthorizedError("The Authorization header must be 'Bearer <token>'.");
  if (token.length > maxTokenLength) throw new UnauthorizedError("The bearer token is too large.");
  return token;
}

function splitToken(token: string): [string, string, string] {
  const parts = token.split(".");
  if (parts.length !== 3) throw new UnauthorizedError("The bearer token is malformed.");
  return parts as [string, string, string];
}

function readHeader(encodedHeader: string): ProtectedHeaderParameters {
  const header = decodeSegment(encodedHeader, "The bearer token is malformed.") as ProtectedHeaderParameters;
  // The algorithm is pinned by the API, never chosen by the token: this refuses `none` and HS256 key confusion.
  if (header.alg !== "RS256") throw new UnauthorizedError("The token's signing algorithm is not accepted.");
  if (keyCarryingHeaders.some((name) => name in header)) {
    throw new UnauthorizedError("The token may not name its own signing key (jku, x5u, jwk, x5c).");
  }
  if ("crit" in header || "b64" in header) {
    throw new UnauthorizedError("The token carries critical header extensions this API does not support.");
  }
  if (typeof header.kid !== "string" || header.kid === "") {
    throw new UnauthorizedError("The token does not name its signing key (kid).");
  }
  return header;
}

function readClaims(encodedClaims: string): JWTPayload {
  return decodeSegment(encodedClaims, "The token's claims are malformed.");
}

/** One base64url JSON object; Node's native decoder, since jose's portable one costs several times more. */
function decodeSegment(segment: string, message: string): Record<string, unknown> {
  if (!base64url.test(segment)) throw new UnauthorizedError(message);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch (error) {
    throw new UnauthorizedError(message, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UnauthorizedError(message);
  return value as Record<string, unknown>;
}

/**
 * A delegated (user) token, from Entra's documented claims: it has `scp` (app-only tokens carry
 * `roles` only), `idtyp` is absent or `user`, and it names a user `oid` with a pairwise `sub`
 * that differs from it (in app-only tokens `sub` is the service principal's `oid`). The `oid` is
 * a GUID, as Entra issues it: it becomes a storage key.
 */
function isUserToken(claims: JWTPayload): boolean {
  return (
    typeof claims.scp === "string" &&
    (claims.idtyp === undefined || claims.idtyp === "user") &&
    typeof claims.oid === "string" &&
    isGuid(claims.oid) &&
    typeof claims.sub === "string" &&
    claims.sub !== "" &&
    claims.sub !== claims.oid
  );
}

function firstText(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value !== "") return value;
  return undefined;
}
