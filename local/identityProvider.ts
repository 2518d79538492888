import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname } from "node:path";

import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { z } from "zod";

import type { DevDirectory } from "../shared/directory/devDirectory.js";
import {
  AppError,
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../shared/errors.js";
import { readBody, RequestTooLargeError, sendJson } from "./http.js";

/**
 * The dev identity provider of SPEC §5: mints Entra v2-shaped access tokens for the dev directory's
 * users, signed with an RS256 key it publishes as a JWKS, so the API validates them exactly as it
 * validates Entra's. Local host and tests only; never part of the function app.
 */

export interface DevTokenRequest {
  /** A dev user's alias (`alice`) or id. */
  readonly user: string;
  /** App roles; by default the dev user's own (dave's carry Process.Admin). */
  readonly roles?: readonly string[];
  /** Deliberately wrong tokens: another audience, another tenant (`tid` only), another scope, ... */
  readonly audience?: string;
  readonly tenantId?: string;
  readonly scope?: string;
  /** Seconds until expiry; negative mints a token that has already expired. */
  readonly expiresIn?: number;
  /** A token for an application acting as itself (no user, no `scp`). */
  readonly appOnly?: boolean;
  /**
   * The optional `acct` claim (0 member, 1 guest), minted by default as an app registration that
   * asks for it gets it; false mints a token without it, as Entra does when it is not configured.
   */
  readonly accountStatus?: boolean;
}

export interface DevTokenResponse {
  readonly access_token: string;
  readonly token_type: "Bearer";
  readonly expires_in: number;
}

export interface DevIdentityProviderOptions {
  /** e.g. `http://localhost:7071/dev/identity`; the routes are served under its path. */
  readonly issuer: string;
  /** The API's client id: tokens are for `api://<clientId>` unless the request says otherwise. */
  readonly clientId: string;
  readonly tenantId: string;
  readonly directory: DevDirectory;
  /** Where the signing key is kept (PKCS8 + kid, JSON) so that tokens survive a restart. */
  readonly keyFile?: string;
  /** The delegated scope tokens carry by default. */
  readonly defaultScope?: string;
}

/** The dev front end that "asked" for the tokens (`azp`), and the service principal of app-only tokens. */
export const devClientAppId = "0d0c1e5a-2f6b-4f3c-8d21-3b9a6c7e5f10";
export const devServicePrincipalId = "5e7f1c2d-8a3b-4c6d-9e0f-1a2b3c4d5e6f";

const defaultExpiresInSeconds = 3600;
const maxBodyBytes = 16 * 1024;

export const devTokenRequestSchema = z.strictObject({
  user: z.string().trim().min(1, "name a dev user by alias (alice) or id"),
  roles: z.array(z.string().min(1)).max(50).optional(),
  accountStatus: z.boolean().optional(),
  audience: z.string().min(1).optional(),
  tenantId: z.string().min(1).optional(),
  scope: z.string().max(1000).optional(),
  expiresIn: z
    .number()
    .int()
    .min(-365 * 24 * 3600)
    .max(24 * 3600)
    .optional(),
  appOnly: z.boolean().optional(),
});

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKeyLike;
  readonly publicJwk: JWK;
  readonly pkcs8: string;
}

type CryptoKeyLike = Awaited<ReturnType<typeof importPKCS8>>;

const keyFileSchema = z.object({
  keys: z.array(z.object({ kid: z.string().min(1), pkcs8: z.string().min(1) })).min(1),
});

export class DevIdentityProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  private readonly issuerPath: string;

  private constructor(
    private readonly options: DevIdentityProviderOptions,
    /** Newest last: it signs; the older one stays published so tokens it signed stay valid. */
    private keys: SigningKey[],
  ) {
    this.issuer = options.issuer.replace(/\/+$/, "");
    this.jwksUri = `${this.issuer}/discovery/v2.0/keys`;
    this.tokenEndpoint = `${this.issuer}/token`;
    this.issuerPath = new URL(this.issuer).pathname.replace(/\/+$/, "");
  }

  static async create(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
    const stored = options.keyFile === undefined ? undefined : await readKeyFile(options.keyFile);
    if (stored !== undefined) return new DevIdentityProvider(options, stored);
    const provider = new DevIdentityProvider(options, [await newSigningKey()]);
    await provider.saveKeys();
    return provider;
  }

  /** The published signing keys (public parts only). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => ({ ...key.publicJwk })) };
  }

  /** The OpenID configuration document, as Entra publishes it, trimmed to what this provider does. */
  openidConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      token_endpoint: this.tokenEndpoint,
      token_endpoint_auth_methods_supported: ["none"],
      grant_types_supported: ["urn:dev:user"],
      response_types_supported: ["token"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: [this.options.defaultScope ?? "Process.ReadWrite"],
      claims_supported: [
        "iss",
        "aud",
        "tid",
        "oid",
        "sub",
        "name",
        "preferred_username",
        "scp",
        "roles",
        "acct",
        "ver",
        "iat",
        "nbf",
        "exp",
        "azp",
        "uti",
        "idtyp",
      ],
      tenant_id: this.options.tenantId,
    };
  }

  /** Publishes a new signing key and signs with it from now on, as Entra does when it rolls its keys. */
  async rotateKey(): Promise<string> {
    const next = await newSigningKey();
    this.keys = [...this.keys.slice(-1), next];
    await this.saveKeys();
    return next.kid;
  }

  async mint(request: DevTokenRequest): Promise<DevTokenResponse> {
    const user = this.options.directory.user(request.user);
    if (user === undefined) {
      throw new BadRequestError(
        "unknown_user",
        "No dev user has that alias or id (try alice, bob, carol, dave, erin).",
      );
    }
    if (!user.accountEnabled) {
      throw new BadRequestError(
        "account_disabled",
        "That dev user's account is disabled: Entra issues it no tokens.",
      );
    }
    const expiresIn = request.expiresIn ?? defaultExpiresInSeconds;
    const now = Math.floor(Date.now() / 1000);
    const roles = request.roles ?? user.appRoles;
    const common: JWTPayload = {
      iss: this.issuer,
      aud: request.audience ?? `api://${this.options.clientId}`,
      tid: request.tenantId ?? this.options.tenantId,
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      ver: "2.0",
      uti: randomBytes(16).toString("base64url"),
      ...(roles.length > 0 ? { roles: [...roles] } : {}),
    };
    const claims: JWTPayload =
      request.appOnly === true
        ? // An application acting as itself: its service principal is both oid and sub, and there is no scp.
          {
            ...common,
            azp: devClientAppId,
            oid: devServicePrincipalId,
            sub: devServicePrincipalId,
            idtyp: "app",
          }
        : {
            ...common,
            azp: devClientAppId,
            oid: user.id,
            sub: pairwiseSubject(user.id, this.options.clientId),
            name: user.displayName,
            preferred_username: user.email,
            scp: request.scope ?? this.options.defaultScope ?? "Process.ReadWrite",
            ...(request.accountStatus !== false && { acct: user.userType === "Guest" ? 1 : 0 }),
          };
    return {
      access_token: await this.sign(claims),
      token_type: "Bearer",
      expires_in: Math.max(0, expiresIn),
    };
  }

  /** Signs any claims with the current key: tests forge tokens (v1 issuers, odd headers) with it. */
  async sign(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const key = this.currentKey();
    return await new SignJWT(claims)
      .setProtectedHeader({
        typ: "JWT",
        ...header,
        alg: "RS256",
        kid: (header.kid as string | undefined) ?? key.kid,
      })
      .sign(key.privateKey);
  }

  /** Serves its routes under the issuer's path; resolves false when the path is not its own. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname !== this.issuerPath && !pathname.startsWith(`${this.issuerPath}/`)) return false;
    const route = pathname.slice(this.issuerPath.length);
    try {
      if (route === "/.well-known/openid-configuration") {
        if (allowOnly(req, res, ["GET", "HEAD"])) sendJson(res, 200, this.openidConfiguration());
      } else if (route === "/discovery/v2.0/keys") {
        if (allowOnly(req, res, ["GET", "HEAD"])) sendJson(res, 200, this.jwks());
      } else if (route === "/token") {
        if (allowOnly(req, res, ["POST"])) {
          const request = devTokenRequestSchema.parse(await readJson(req));
          sendJson(res, 200, await this.mint(request), { "cache-control": "no-store" });
        }
      } else {
        sendProblem(res, 404, {
          title: "Not Found",
          code: "not_found",
          detail: "The dev identity provider has no such route.",
        });
      }
    } catch (error) {
      const appError = error instanceof z.ZodError ? toValidationError(error) : error;
      if (!(appError instanceof AppError)) throw error;
      sendProblem(res, appError.status, appError.toProblem(), appError.headers());
    }
    return true;
  }

  private currentKey(): SigningKey {
    const key = this.keys.at(-1);
    if (key === undefined) throw new Error("The dev identity provider has no signing key.");
    return key;
  }

  private async saveKeys(): Promise<void> {
    const file = this.options.keyFile;
    if (file === undefined) return;
    await mkdir(dirname(file), { recursive: true });
    const content = { keys: this.keys.map(({ kid, pkcs8 }) => ({ kid, pkcs8 })) };
    await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  }
}

/** Entra's `sub` is pairwise: stable per user and application, and never the user's `oid`. */
function pairwiseSubject(userId: string, clientId: string): string {
  return createHash("sha256").update(`${userId}:${clientId}`).digest("base64url").slice(0, 43);
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  return await toSigningKey(undefined, await exportPKCS8(privateKey));
}

async function toSigningKey(kid: string | undefined, pkcs8: string): Promise<SigningKey> {
  const privateKey = await importPKCS8(pkcs8, "RS256", { extractable: true });
  const { kty, n, e } = await exportJWK(privateKey);
  const bare: JWK = { kty, n, e };
  const keyId = kid ?? (await calculateJwkThumbprint(bare));
  return { kid: keyId, privateKey, pkcs8, publicJwk: { ...bare, kid: keyId, use: "sig", alg: "RS256" } };
}

async function readKeyFile(file: string): Promise<SigningKey[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = keyFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`The dev identity key file ${file} is not valid; delete it to start afresh.`);
  return await Promise.all(parsed.data.keys.map(async ({ kid, pkcs8 }) => await toSigningKey(kid, pkcs8)));
}

function allowOnly(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
  if (methods.includes(req.method ?? "")) return true;
  sendProblem(
    res,
    405,
    { title: "Method Not Allowed", code: "method_not_allowed", detail: `Use ${methods.join(" or ")}.` },
    { allow: methods.join(", ") },
  );
  return false;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const contentType = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const body = await readBody(req, maxBodyBytes).catch((error: unknown) => {
    throw error instanceof RequestTooLargeError ? new PayloadTooLargeError(maxBodyBytes) : error;
  });
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ValidationError(
      [{ field: "", message: "The body is not valid JSON." }],
      "The body is not valid JSON.",
    );
  }
}

function toValidationError(error: z.ZodError): ValidationError {
  return new ValidationError(
    error.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({
            field: [...issue.path, key].map(String).join("."),
            message: "unknown field",
          }))
        : [{ field: issue.path.map(String).join("."), message: issue.message }],
    ),
  );
}

function sendProblem(
  res: ServerResponse,
  status: number,
  problem: { title: string; code: string; detail?: string; [extension: string]: unknown },
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/problem+json; charset=utf-8", ...headers });
  res.end(JSON.stringify({ type: "about:blank", status, ...problem }));
}
