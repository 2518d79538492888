import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, expect, test } from "vitest";

import { azureCredential } from "../../shared/azureCredential.js";

/**
 * The app's managed identity, loaded on first use, against a loopback stand-in of App Service's
 * managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, as Azure sets them for a function
 * app). This file has its own process, so the environment it sets touches no other test.
 */
const clientId = "5a1e0000-0000-4000-8000-00000000c11e";
const identityHeader = "stand-in-identity-header";
const requests: { url: URL; headers: IncomingHttpHeaders }[] = [];
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  requests.push({ url, headers: req.headers });
  if (req.headers["x-identity-header"] !== identityHeader) {
    res.writeHead(401).end();
    return;
  }
  const resource = url.searchParams.get("resource") ?? "";
  res.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({
      access_token: `token-for-${resource}`,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: "Bearer",
    }),
  );
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`;
  process.env.IDENTITY_HEADER = identityHeader;
});
afterAll(async () => {
  delete process.env.IDENTITY_ENDPOINT;
  delete process.env.IDENTITY_HEADER;
  await new Promise((resolve) => server.close(resolve));
});

test("the user-assigned identity named by its client id signs in through the platform's endpoint, loaded on first use", async () => {
  const credential = azureCredential(clientId);
  expect(requests).toHaveLength(0);
  const token = await credential.getToken("https://storage.azure.com/.default");
  expect(token?.token).toBe("token-for-https://storage.azure.com");
  const asked = requests.at(-1);
  expect(asked?.url.searchParams.get("client_id")).toBe(clientId);
  expect(asked?.headers["x-identity-header"]).toBe(identityHeader);
});

test("one credential per identity serves every client", () => {
  expect(azureCredential(clientId)).toBe(azureCredential(clientId));
  expect(azureCredential(clientId)).not.toBe(azureCredential());
});
