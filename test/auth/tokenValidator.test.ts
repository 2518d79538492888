import { createHmac, createPublicKey, type JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { devServicePrincipalId } from "../../local/identityProvider.js";
import {
  createTokenValidator,
  maxTokenLength,
  type TokenValidatorOptions,
} from "../../shared/auth/tokenValidator.js";
import type { AuthConfig } from "../../shared/config.js";
import { AppError, UnauthorizedError } from "../../shared/errors.js";
import { startTestIdentity, type TestIdentity } from "../support/identity.js";

const alice = { id: "a11ce000-0000-4000-8000-000000000001", email: "alice@contoso.example" };

let identity: TestIdentity;

beforeAll(async () => {
  identity = await startTestIdentity();
});

afterAll(async () => {
  await identity.close();
});

function validator(options: TokenValidatorOptions = {}, config: AuthConfig = identity.authConfig) {
  return createTokenValidator(config, options);
}

/** Runs `authenticate` and returns the AppError it refused with. */
async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected an AppError, got ${String(outcome)}`);
  return outcome;
}

async function expectRefused(promise: Promise<unknown>, status: number, code: string): Promise<AppError> {
  const error = await refusal(promise);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  return error;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The claims of a good token for alice, to forge variants from. */
async function aliceClaims(): Promise<JWTPayload> {
  return await decodeJwt(await identity.token("alice"));
}

function hs256(header: Record<string, unknown>, claims: JWTPayload, secret: Buffer | string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** A loopback server that counts the requests it gets (a `jku`/`x5u` target that must stay silent). */
async function startCountingServer(
  body: unknown,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/keys`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe("accepted tokens", () => {
  it("resolves a dev token for alice to the caller", async () => {
    const caller = await validator().authenticate(`Bearer ${await identity.token("alice")}`);
    expect(caller).toEqual({
      id: alice.id,
      tenantId: identity.tenantId,
      name: "Alice Andersen",
      username: alice.email,
      appRoles: [],
      // The optional acct claim: 0 for a member.
      guest: false,
    });
  });

  it("carries the caller's app roles: dave's token has Process.Admin", async () => {
    const caller = await validator().authenticate(`Bearer ${await identity.token("dave")}`);
    expect(caller.appRoles).toEqual(["Process.Admin"]);
  });

  it("accepts both audience forms: the app id URI and the bare client id", async () => {
    const v = validator();
    const uriForm = await identity.token("alice", { audience: `api://${identity.clientId}` });
    const idForm = await identity.token("alice", { audience: identity.clientId });
    expect((await v.authenticate(`Bearer ${uriForm}`)).id).toBe(alice.id);
    expect((await v.authenticate(`Bearer ${idForm}`)).id).toBe(alice.id);
  });

  it("accepts Entra's v1 and v2 issuers for the configured tenant, with upn as the username of a v1 token", async () => {
    const entra: AuthConfig = {
      ...identity.authConfig,
      issuers: [
        `https://sts.windows.net/${identity.tenantId}/`,
        `https://login.microsoftonline.com/${identity.tenantId}/v2.0`,
      ],
    };
    const v = validator({}, entra);
    const { preferred_username: _, ...claims } = await aliceClaims();
    const v1 = await identity.provider.sign({
      ...claims,
      iss: `https://sts.windows.net/${identity.tenantId}/`,
      ver: "1.0",
      upn: alice.email,
    });
    const v2 = await identity.provider.sign({
      ...claims,
      iss: `https://login.microsoftonline.com/${identity.tenantId}/v2.0`,
      preferred_username: alice.email,
    });
    expect(await v.authenticate(`Bearer ${v1}`)).toMatchObject({ id: alice.id, username: alice.email });
    expect(await v.authenticate(`Bearer ${v2}`)).toMatchObject({ id: alice.id, username: alice.email });
  });

  it("accepts the required scope among others in scp", async () => {
    const token = await identity.token("alice", { scope: "openid Process.ReadWrite profile" });
    expect((await validator().authenticate(`Bearer ${token}`)).id).toBe(alice.id);
  });

  it("accepts the scheme in any letter case", async () => {
    const token = await identity.token("alice");
    expect((await validator().authenticate(`bearer ${token}`)).id).toBe(alice.id);
  });

  it("fetches the signing keys once for many tokens", async () => {
    const v = validator();
    const before = identity.jwksRequests();
    for (const user of ["alice", "bob", "carol", "dave", "erin", "frank", "alice", "bob"]) {
      await v.authenticate(`Bearer ${await identity.token(user)}`);
    }
    expect(identity.jwksRequests() - before).toBe(1);
  });
});

describe("the signature and its key", () => {
  it("refuses alg none", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(await aliceClaims())}.`;
    await expectRefused(validator().authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("refuses HS256 signed with the public key as PEM, DER and JWK bytes", async () => {
    const claims = await aliceClaims();
    const jwk = identity.provider.jwks().keys[0];
    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    const secrets = [
      publicKey.export({ type: "spki", format: "pem" }),
      publicKey.export({ type: "spki", format: "der" }),
      publicKey.export({ type: "pkcs1", format: "pem" }),
      JSON.stringify(jwk),
    ];
    const v = validator();
    for (const secret of secrets) {
      const token = hs256({ alg: "HS256", typ: "JWT", kid: jwk?.kid }, claims, secret);
      await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    }
  });

  it("refuses RS256 with another algorithm name in the header (RS512, PS256, ES256)", async () => {
    const claims = await aliceClaims();
    const good = await identity.provider.sign(claims);
    const [, payload, signature] = good.split(".");
    const v = validator();
    for (const alg of ["RS512", "PS256", "ES256", "rs256"]) {
      const header = b64({ alg, typ: "JWT", kid: identity.provider.jwks().keys[0]?.kid });
      await expectRefused(v.authenticate(`Bearer ${header}.${payload}.${signature}`), 401, "invalid_token");
    }
  });

  it("refuses a token whose claims were changed after signing", async () => {
    const good = await identity.token("alice");
    const [header, , signature] = good.split(".");
    const forged = `${header}.${b64({ ...(await aliceClaims()), oid: "da7e0000-0000-4000-8000-000000000004" })}.${signature}`;
    await expectRefused(validator().authenticate(`Bearer ${forged}`), 401, "invalid_token");
  });

  it("never lets a verified token's signature vouch for other claims, even once cached", async () => {
    const v = validator();
    const good = await identity.token("alice");
    await v.authenticate(`Bearer ${good}`);
    const [header, , signature] = good.split(".");
    const forged = `${header}.${b64({ ...decodeJwt(good), roles: ["Process.Admin"] })}.${signature}`;
    await expectRefused(v.authenticate(`Bearer ${forged}`), 401, "invalid_token");
  });

  it("refreshes the keys once for an unknown kid, and a second unknown kid within the cooldown fetches nothing", async () => {
    const cooldownMs = 1000;
    const v = validator({ jwksCooldownMs: cooldownMs });
    await v.authenticate(`Bearer ${await identity.token("alice")}`);
    const attacker = await generateKeyPair("RS256");
    const claims = await aliceClaims();
    const forged = (kid: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(attacker.privateKey);
    const first = await forged("attacker-1");
    const second = await forged("attacker-2");
    // Let the cooldown that follows the start-up fetch run out, so the unknown kid may refresh.
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 100));
    const before = identity.jwksRequests();

    await expectRefused(v.authenticate(`Bearer ${first}`), 401, "invalid_token");
    expect(identity.jwksRequests() - before).toBe(1);
    await expectRefused(v.authenticate(`Bearer ${second}`), 401, "invalid_token");
    await expectRefused(v.authenticate(`Bearer ${first}`), 401, "invalid_token");
    expect(identity.jwksRequests() - before).toBe(1);
  });

  it("does not refetch for unknown kids right after the first fetch", async () => {
    const v = validator({ jwksCooldownMs: 60_000 });
    const attacker = await generateKeyPair("RS256");
    const claims = await aliceClaims();
    const before = identity.jwksRequests();
    for (const kid of ["attacker-1", "attacker-2", "attacker-3"]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid })
        .sign(attacker.privateKey);
      await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    }
    // Only the validator's first fetch of the keys.
    expect(identity.jwksRequests() - before).toBe(1);
  });

  it("follows a key rotation with exactly one refetch", async () => {
    const rotating = await startTestIdentity();
    try {
      const v = createTokenValidator(rotating.authConfig, { jwksCooldownMs: 0 });
      await v.authenticate(`Bearer ${await rotating.token("alice")}`);
      expect(rotating.jwksRequests()).toBe(1);

      const newKid = await rotating.provider.rotateKey();
      const tokens = await Promise.all(["alice", "bob", "carol"].map((user) => rotating.token(user)));
      expect(tokens.map((token) => decodeProtectedHeader(token).kid)).toEqual([newKid, newKid, newKid]);
      for (const token of tokens) await v.authenticate(`Bearer ${token}`);
      expect(rotating.jwksRequests()).toBe(2);
    } finally {
      await rotating.close();
    }
  });

  it("never fetches jku or x5u, and refuses tokens that carry jku, x5u, jwk or x5c", async () => {
    const attacker = await generateKeyPair("RS256", { extractable: true });
    const attackerJwk = {
      ...(await exportJWK(attacker.publicKey)),
      kid: "attacker",
      alg: "RS256",
      use: "sig",
    };
    const trap = await startCountingServer({ keys: [attackerJwk] });
    try {
      const v = validator();
      const claims = await aliceClaims();
      const kid = identity.provider.jwks().keys[0]?.kid;
      const headers: Record<string, unknown>[] = [
        { jku: trap.url, kid: "attacker" },
        { x5u: trap.url, kid: "attacker" },
        { jwk: attackerJwk, kid: "attacker" },
        { x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"], kid: "attacker" },
      ];
      for (const header of headers) {
        const byAttacker = await new SignJWT(claims)
          .setProtectedHeader({ alg: "RS256", ...header })
          .sign(attacker.privateKey);
        await expectRefused(v.authenticate(`Bearer ${byAttacker}`), 401, "invalid_token");
        // Even signed by the real key, a token that names where to find its key is refused.
        const byIssuer = await identity.provider.sign(claims, { ...header, kid });
        await expectRefused(v.authenticate(`Bearer ${byIssuer}`), 401, "invalid_token");
      }
      expect(trap.requests()).toBe(0);
    } finally {
      await trap.close();
    }
  });

  it("answers 503 signing_keys_unavailable when the key endpoint cannot be reached", async () => {
    const closed = await startCountingServer({});
    const url = closed.url;
    await closed.close();
    const v = validator({}, { ...identity.authConfig, jwksUri: url });
    await expectRefused(
      v.authenticate(`Bearer ${await identity.token("alice")}`),
      503,
      "signing_keys_unavailable",
    );
    // An outage tells the client when to come back.
    const outage = await v
      .authenticate(`Bearer ${await identity.token("alice")}`)
      .catch((error: unknown) => error);
    expect((outage as AppError).headers()["Retry-After"]).toBe("5");
  });
});

describe("issuer, tenant, audience", () => {
  it("refuses a token for another audience", async () => {
    const token = await identity.token("alice", { audience: "api://00000000-0000-4000-8000-0000000000ff" });
    await expectRefused(validator().authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("refuses an audience of the wrong shape, and accepts a list that holds the API", async () => {
    const v = validator();
    const claims = await aliceClaims();
    for (const aud of [42, { value: identity.clientId }, [], [7, "api://other"], null]) {
      const forged: Record<string, unknown> = { ...claims, aud };
      const token = await identity.provider.sign(forged);
      await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    }
    const listed = await identity.provider.sign({ ...claims, aud: ["api://other", identity.clientId] });
    expect((await v.authenticate(`Bearer ${listed}`)).id).toBe(alice.id);
  });

  it("refuses a token from another issuer, even signed by a trusted key", async () => {
    const v = validator();
    const claims = await aliceClaims();
    for (const iss of [
      "https://evil.example/dev/identity",
      `${identity.issuer}/`,
      `https://login.microsoftonline.com/${identity.tenantId}/v2.0`,
    ]) {
      const token = await identity.provider.sign({ ...claims, iss });
      await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    }
  });

  it("refuses a token issued for another tenant, and one with no tid", async () => {
    const v = validator();
    const other = await identity.token("alice", { tenantId: "11111111-2222-4333-8444-555555555555" });
    await expectRefused(v.authenticate(`Bearer ${other}`), 401, "invalid_token");
    const { tid: _, ...claims } = await aliceClaims();
    await expectRefused(
      v.authenticate(`Bearer ${await identity.provider.sign(claims)}`),
      401,
      "invalid_token",
    );
  });
});

describe("lifetime", () => {
  it("refuses an expired token", async () => {
    const token = await identity.token("alice", { expiresIn: -3600 });
    await expectRefused(validator().authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("refuses a token without exp", async () => {
    const { exp: _, ...claims } = await aliceClaims();
    await expectRefused(
      validator().authenticate(`Bearer ${await identity.provider.sign(claims)}`),
      401,
      "invalid_token",
    );
  });

  it("accepts a token expired by less than the clock tolerance, and refuses it beyond", async () => {
    const token = await identity.token("alice");
    const exp = decodeJwt(token).exp ?? 0;
    const at = (seconds: number) => ({
      now: () => new Date((exp + seconds) * 1000),
      clockToleranceSeconds: 60,
    });
    expect((await validator(at(30)).authenticate(`Bearer ${token}`)).id).toBe(alice.id);
    await expectRefused(validator(at(61)).authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("accepts a token not yet valid by less than the clock tolerance, and refuses it beyond", async () => {
    const token = await identity.token("alice");
    const nbf = decodeJwt(token).nbf ?? 0;
    const at = (seconds: number) => ({
      now: () => new Date((nbf + seconds) * 1000),
      clockToleranceSeconds: 60,
    });
    expect((await validator(at(-30)).authenticate(`Bearer ${token}`)).id).toBe(alice.id);
    await expectRefused(validator(at(-120)).authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("caps the clock tolerance at five minutes", async () => {
    const token = await identity.token("alice");
    const exp = decodeJwt(token).exp ?? 0;
    const v = validator({ now: () => new Date((exp + 301) * 1000), clockToleranceSeconds: 3600 });
    await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("never accepts a remembered token past its own exp", async () => {
    const token = await identity.token("alice", { expiresIn: 600 });
    const exp = decodeJwt(token).exp ?? 0;
    let nowMs = (exp - 300) * 1000;
    const v = validator({ now: () => new Date(nowMs), clockToleranceSeconds: 0 });
    expect((await v.authenticate(`Bearer ${token}`)).id).toBe(alice.id);
    expect((await v.authenticate(`Bearer ${token}`)).id).toBe(alice.id);
    nowMs = exp * 1000;
    await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    nowMs = (exp + 3600) * 1000;
    await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
  });

  it("keeps accepting tokens when the remembered-token cache is full or turned off", async () => {
    const tokens = await Promise.all(["alice", "bob", "carol", "dave"].map((user) => identity.token(user)));
    for (const cacheSize of [0, 2]) {
      const v = validator({ cacheSize });
      const callers = [];
      for (const token of [...tokens, ...tokens])
        callers.push((await v.authenticate(`Bearer ${token}`)).username);
      expect(callers).toEqual(
        [...Array(2).keys()].flatMap(() =>
          ["alice", "bob", "carol", "dave"].map((u) => `${u}@contoso.example`),
        ),
      );
    }
  });
});

describe("user tokens and scope", () => {
  it("refuses an app-only token with 403 forbidden", async () => {
    const token = await identity.token("alice", { appOnly: true });
    const error = await expectRefused(validator().authenticate(`Bearer ${token}`), 403, "forbidden");
    expect(error.message).toMatch(/App-only tokens/);
  });

  it("refuses tokens that act for no user: idtyp app, oid equal to sub, no oid", async () => {
    const v = validator();
    const claims = await aliceClaims();
    const { oid: _, ...withoutOid } = claims;
    for (const forged of [
      { ...claims, idtyp: "app" },
      { ...claims, sub: devServicePrincipalId, oid: devServicePrincipalId },
      withoutOid,
    ]) {
      await expectRefused(v.authenticate(`Bearer ${await identity.provider.sign(forged)}`), 403, "forbidden");
    }
  });

  it("refuses a token without the required scope with 403 insufficient_scope", async () => {
    const token = await identity.token("alice", { scope: "User.Read openid" });
    const error = await expectRefused(validator().authenticate(`Bearer ${token}`), 403, "insufficient_scope");
    expect(error.headers()["WWW-Authenticate"]).toContain('error="insufficient_scope"');
  });

  it("does not count a scope that only contains or is contained in the required one", async () => {
    const v = validator();
    for (const scope of [
      "Process.ReadWriteX",
      "xProcess.ReadWrite",
      "Process.Read",
      "Process.ReadWrite.All",
      "",
    ]) {
      const token = await identity.token("alice", { scope });
      await expectRefused(v.authenticate(`Bearer ${token}`), 403, "insufficient_scope");
    }
  });
});

describe("the Authorization header", () => {
  it("refuses a missing header", async () => {
    const v = validator();
    for (const header of [undefined, null, "", "   "]) {
      const error = await expectRefused(v.authenticate(header), 401, "invalid_token");
      expect(error.headers()["WWW-Authenticate"]).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  it("refuses other schemes", async () => {
    const token = await identity.token("alice");
    const v = validator();
    for (const header of [`Basic ${token}`, `Token ${token}`, token, `Bearer`, `Bearer `, `Bearer${token}`]) {
      await expectRefused(v.authenticate(header), 401, "invalid_token");
    }
  });

  it("refuses malformed tokens", async () => {
    const v = validator();
    const [header, payload, signature] = (await identity.token("alice")).split(".");
    for (const token of [
      "abc",
      "a.b.c",
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.extra`,
      `${b64("not an object")}.${payload}.${signature}`,
      `${header}.${Buffer.from("{not json").toString("base64url")}.${signature}`,
      `${header}.${payload}.${signature}!!`,
      `${header}.${payload}.${signature} trailing`,
    ]) {
      await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    }
  });

  it("refuses an oversized token before reading it (no key fetch)", async () => {
    const v = validator();
    const before = identity.jwksRequests();
    const claims = { ...(await aliceClaims()), padding: "x".repeat(maxTokenLength) };
    const token = await identity.provider.sign(claims);
    const error = await expectRefused(v.authenticate(`Bearer ${token}`), 401, "invalid_token");
    expect(error.message).toMatch(/too large/);
    expect(identity.jwksRequests()).toBe(before);
  });

  it("never echoes the token in the error or its WWW-Authenticate header", async () => {
    const token = await identity.token("alice", { audience: "api://wrong" });
    const error = await expectRefused(validator().authenticate(`Bearer ${token}`), 401, "invalid_token");
    expect(error).toBeInstanceOf(UnauthorizedError);
    const [header, payload, signature] = token.split(".");
    const said = `${error.message} ${JSON.stringify(error.toProblem())} ${error.headers()["WWW-Authenticate"] ?? ""}`;
    for (const part of [header, payload, signature, "api://wrong"]) expect(said).not.toContain(part);
  });
});
