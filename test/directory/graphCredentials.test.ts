import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { createGraphDirectory } from "../../shared/directory/graphDirectory.js";
import { readCertificate } from "../../shared/directory/graphToken.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";

/**
 * The two ways to sign in without a secret: a certificate, and the function app's managed
 * identity as a federated client assertion (App Service's managed identity endpoint, served by
 * the stand-in). This file has its own process, so setting IDENTITY_ENDPOINT here touches no other test.
 */

const alice = readDevDirectory().users.find((user) => user.alias === "alice");
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let folder: string;
let pemPath: string;
let testGraph: TestGraph;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "graph-cert-"));
  pemPath = join(folder, "graph.pem");
  let certificatePem: string | undefined;
  if (hasOpenssl) {
    const key = join(folder, "key.pem");
    const cert = join(folder, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=process-sharing-test",
      ],
      { stdio: "ignore" },
    );
    certificatePem = readFileSync(cert, "utf8");
    writeFileSync(pemPath, `${readFileSync(key, "utf8")}\n${certificatePem}`);
  }
  testGraph = await startTestGraph({ certificatePem });
  process.env.IDENTITY_ENDPOINT = testGraph.graph.managedIdentity.endpoint;
  process.env.IDENTITY_HEADER = testGraph.graph.managedIdentity.header;
});

afterAll(async () => {
  delete process.env.IDENTITY_ENDPOINT;
  delete process.env.IDENTITY_HEADER;
  await testGraph.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("Graph sign-in without a secret", () => {
  it.skipIf(!hasOpenssl)(
    "signs in with a certificate: the assertion is signed by its key and names its SHA-256 thumbprint",
    async () => {
      const directory = createGraphDirectory({
        ...testGraph.config,
        clientSecret: undefined,
        certificatePath: pemPath,
      });
      expect(directory.credentialKind).toBe("certificate");
      expect(await directory.getUsers([alice?.id ?? ""])).toHaveProperty("size", 1);

      const form = new URLSearchParams(testGraph.graph.tokenRequests().at(-1)?.body);
      expect(form.get("client_secret")).toBeNull();
      expect(form.get("client_assertion_type")).toBe(
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      );
      const header = JSON.parse(
        Buffer.from(form.get("client_assertion")?.split(".")[0] ?? "", "base64url").toString("utf8"),
      ) as Record<string, unknown>;
      expect(header["x5t#S256"]).toBe(
        Buffer.from(readCertificate(pemPath).thumbprintSha256, "hex").toString("base64url"),
      );
    },
  );

  it("signs in with the managed identity's token as a federated client assertion", async () => {
    const directory = createGraphDirectory({ ...testGraph.config, clientSecret: undefined });
    expect(directory.credentialKind).toBe("managedIdentity");
    expect(await directory.search("alice", 5)).toHaveLength(1);

    const identityRequest = testGraph.graph.requests.find((request) => request.path === "/msi/token");
    expect(identityRequest?.query.resource ?? identityRequest?.query.scope).toBe(
      "api://AzureADTokenExchange",
    );
    const form = new URLSearchParams(testGraph.graph.tokenRequests().at(-1)?.body);
    expect(form.get("client_secret")).toBeNull();
    expect(form.get("client_assertion")).toBeTruthy();
  });

  it("a certificate file without a private key is refused at start-up with the setting's name", () => {
    const certOnly = join(folder, "cert-only.pem");
    writeFileSync(certOnly, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(() =>
      createGraphDirectory({ ...testGraph.config, clientSecret: undefined, certificatePath: certOnly }),
    ).toThrow(/GRAPH_CERTIFICATE_PATH/);
  });
});
