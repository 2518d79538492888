import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { parseTokenArguments, requestToken } from "../../local/token-cli.js";
import { startTestIdentity, type TestIdentity } from "../support/identity.js";

let identity: TestIdentity;

beforeAll(async () => {
  identity = await startTestIdentity();
});

afterAll(async () => {
  await identity.close();
});

describe("npm run token", () => {
  it("reads the user and the optional fields from the command line", () => {
    expect(parseTokenArguments(["alice"])).toEqual({ user: "alice" });
    expect(
      parseTokenArguments([
        "dave",
        "--roles",
        "Process.Admin, Process.Share.All",
        "--scope",
        "User.Read",
        "--expires-in=-60",
        "--app-only",
      ]),
    ).toEqual({
      user: "dave",
      roles: ["Process.Admin", "Process.Share.All"],
      scope: "User.Read",
      expiresIn: -60,
      appOnly: true,
    });
  });

  it("refuses a missing user, a second user, an unknown option and a non-numeric lifetime", () => {
    expect(() => parseTokenArguments([])).toThrow(/Usage: npm run token/);
    expect(() => parseTokenArguments(["alice", "bob"])).toThrow(/Usage: npm run token/);
    expect(() => parseTokenArguments(["alice", "--role", "x"])).toThrow(/--role/);
    expect(() => parseTokenArguments(["alice", "--expires-in", "soon"])).toThrow(/--expires-in/);
  });

  it("gets a token from the running host's dev identity provider", async () => {
    const hostUrl = new URL(identity.issuer).origin;
    const token = await requestToken(hostUrl, { user: "alice", roles: ["Process.Admin"] });
    expect(decodeJwt(token)).toMatchObject({
      oid: "a11ce000-0000-4000-8000-000000000001",
      roles: ["Process.Admin"],
    });
  });

  it("says what the provider refused", async () => {
    const hostUrl = new URL(identity.issuer).origin;
    await expect(requestToken(hostUrl, { user: "mallory" })).rejects.toThrow(/refused \(400\)/);
  });

  it("says in one line that the host is not running", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await expect(requestToken(`http://127.0.0.1:${port}`, { user: "alice" })).rejects.toThrow(
      `The local host is not running at http://127.0.0.1:${port}: start it with \`npm start\` first.`,
    );
  });
});
