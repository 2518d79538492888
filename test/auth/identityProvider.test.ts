import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DevIdentityProvider } from "../../local/identityProvider.js";
import { createTokenValidator } from "../../shared/auth/tokenValidator.js";
import { DevDirectory } from "../../shared/directory/devDirectory.js";
import { AppError } from "../../shared/errors.js";
import { startTestIdentity, type TestIdentity } from "../support/identity.js";

const aliceId = "a11ce000-0000-4000-8000-000000000001";

let identity: TestIdentity;

beforeAll(async () => {
  identity = await startTestIdentity();
});

afterAll(async () => {
  await identity.close();
});

function postToken(body: unknown, contentType = "application/json"): Promise<Response> {
  return fetch(identity.provider.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function tokenFor(body: Record<string, unknown>): Promise<string> {
  const response = await postToken(body);
  expect(response.status).toBe(200);
  const json = (await response.json()) as { access_token: string };
  return json.access_token;
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { status: error.status, code: error.code };
}

describe("routes", () => {
  it("publishes its OpenID configuration under the issuer", async () => {
    const response = await fetch(`${identity.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: identity.issuer,
      jwks_uri: identity.jwksUri,
      token_endpoint: `${identity.issuer}/token`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  it("publishes only the public part of its RS256 signing key", async () => {
    const response = await fetch(identity.jwksUri);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: "RSA",
      alg: "RS256",
      use: "sig",
      kid: expect.any(String) as string,
    });
    for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(keys[0]).not.toHaveProperty(secret);
  });

  it("mints an Entra v2-shaped token for alice that the API accepts", async () => {
    const response = await postToken({ user: "alice" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });

    const header = decodeProtectedHeader(body.access_token);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT", kid: identity.provider.jwks().keys[0]?.kid });
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      iss: identity.issuer,
      aud: `api://${identity.clientId}`,
      tid: identity.tenantId,
      oid: aliceId,
      name: "Alice Andersen",
      preferred_username: "alice@contoso.example",
      scp: "Process.ReadWrite",
      ver: "2.0",
      azp: expect.any(String) as string,
      uti: expect.any(String) as string,
    });
    expect(claims.sub).not.toBe(aliceId);
    expect(claims).not.toHaveProperty("roles");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);

    const caller = await createTokenValidator(identity.authConfig).authenticate(
      `Bearer ${body.access_token}`,
    );
    expect(caller.id).toBe(aliceId);
  });

  it("gives the same user the same pairwise sub and a new uti each time", async () => {
    const first = decodeJwt(await tokenFor({ user: "alice" }));
    const second = decodeJwt(await tokenFor({ user: aliceId }));
    expect(second.sub).toBe(first.sub);
    expect(second.oid).toBe(first.oid);
    expect(second.uti).not.toBe(first.uti);
  });

  it("gives dave his Process.Admin app role by default, and explicit roles override it", async () => {
    expect(decodeJwt(await tokenFor({ user: "dave" })).roles).toEqual(["Process.Admin"]);
    expect(decodeJwt(await tokenFor({ user: "frank" })).roles).toEqual(["Process.Share.All"]);
    expect(decodeJwt(await tokenFor({ user: "alice", roles: ["Process.Admin"] })).roles).toEqual([
      "Process.Admin",
    ]);
    expect(decodeJwt(await tokenFor({ user: "dave", roles: [] }))).not.toHaveProperty("roles");
  });

  it("refuses an unknown user with 400 unknown_user as problem+json", async () => {
    const response = await postToken({ user: "mallory" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 400, code: "unknown_user" });
  });

  it("refuses a disabled user (gina) with 400 account_disabled", async () => {
    const response = await postToken({ user: "gina" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "account_disabled" });
  });

  it("refuses unknown fields and wrong types, naming each field", async () => {
    const response = await postToken({ user: "alice", role: ["Process.Admin"], expiresIn: "soon" });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors.map((error) => error.field).sort()).toEqual(["expiresIn", "role"]);
  });

  it("refuses malformed JSON with 400, another content type with 415, and GET with 405", async () => {
    const malformed = await postToken("{user:", "application/json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "validation_failed" });

    const text = await postToken(JSON.stringify({ user: "alice" }), "text/plain");
    expect(text.status).toBe(415);

    const get = await fetch(identity.provider.tokenEndpoint);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("refuses a body over 16 KiB with 413", async () => {
    const response = await postToken({ user: "alice", scope: "x".repeat(20 * 1024) });
    expect(response.status).toBe(413);
  });

  it("answers 404 for other paths under the issuer, and leaves other paths to the host", async () => {
    const missing = await fetch(`${identity.issuer}/authorize`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not_found" });
    // The test server answers a bare 404 when handle() resolves false.
    const elsewhere = await fetch(new URL("/dev/identityx/token", identity.issuer));
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).toBe("");
  });
});

describe("deliberately wrong tokens are refused by the API with the right code", () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ["another audience", { audience: "api://not-this-api" }, 401, "invalid_token"],
    ["another tenant", { tenantId: "11111111-2222-4333-8444-555555555555" }, 401, "invalid_token"],
    ["another scope", { scope: "User.Read" }, 403, "insufficient_scope"],
    ["already expired", { expiresIn: -600 }, 401, "invalid_token"],
    ["app-only", { appOnly: true }, 403, "forbidden"],
  ];
  for (const [name, variant, status, code] of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const token = await tokenFor({ user: "alice", ...variant });
      const validator = createTokenValidator(identity.authConfig);
      expect(await refusal(validator.authenticate(`Bearer ${token}`))).toEqual({ status, code });
    });
  }

  it("keeps the issuer right on a wrong-tenant token, so the tenant check is what refuses it", async () => {
    const claims = decodeJwt(
      await tokenFor({ user: "alice", tenantId: "11111111-2222-4333-8444-555555555555" }),
    );
    expect(claims.iss).toBe(identity.issuer);
    expect(claims.tid).toBe("11111111-2222-4333-8444-555555555555");
  });

  it("mints app-only tokens without a user: no scp, oid equal to sub, idtyp app", async () => {
    const claims = decodeJwt(await tokenFor({ user: "alice", appOnly: true }));
    expect(claims).not.toHaveProperty("scp");
    expect(claims).not.toHaveProperty("name");
    expect(claims.sub).toBe(claims.oid);
    expect(claims.idtyp).toBe("app");
  });

  it("reports expires_in 0 for an already expired token", async () => {
    const response = await postToken({ user: "alice", expiresIn: -600 });
    expect(await response.json()).toMatchObject({ expires_in: 0 });
  });
});

describe("the signing key", () => {
  it("is kept in the key file, so tokens survive a restart", async () => {
    const folder = await mkdtemp(join(tmpdir(), "dev-identity-"));
    try {
      const keyFile = join(folder, "nested", "identity-key.json");
      const options = {
        issuer: identity.issuer,
        clientId: identity.clientId,
        tenantId: identity.tenantId,
        directory: DevDirectory.fromFile(),
        keyFile,
      };
      const first = await DevIdentityProvider.create(options);
      const token = (await first.mint({ user: "bob" })).access_token;
      const stored = JSON.parse(await readFile(keyFile, "utf8")) as {
        keys: { kid: string; pkcs8: string }[];
      };
      expect(stored.keys.map((key) => key.kid)).toEqual([first.jwks().keys[0]?.kid]);
      expect(stored.keys[0]?.pkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----/);

      const restarted = await DevIdentityProvider.create(options);
      expect(restarted.jwks()).toEqual(first.jwks());
      expect(decodeProtectedHeader((await restarted.mint({ user: "bob" })).access_token).kid).toBe(
        decodeProtectedHeader(token).kid,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("is fresh for each provider without a key file", async () => {
    const options = {
      issuer: identity.issuer,
      clientId: identity.clientId,
      tenantId: identity.tenantId,
      directory: DevDirectory.fromFile(),
    };
    const one = await DevIdentityProvider.create(options);
    const two = await DevIdentityProvider.create(options);
    expect(one.jwks().keys[0]?.kid).not.toBe(two.jwks().keys[0]?.kid);
  });

  it("keeps publishing the previous key after a rotation", async () => {
    const rotating = await startTestIdentity();
    try {
      const before = rotating.provider.jwks().keys.map((key) => key.kid);
      const newKid = await rotating.provider.rotateKey();
      expect(rotating.provider.jwks().keys.map((key) => key.kid)).toEqual([...before, newKid]);
    } finally {
      await rotating.close();
    }
  });
});
