import { describe, expect, test } from "vitest";

import { ConfigError, loadConfig, settingNames } from "../../shared/config.js";
import { sampleSettings } from "../support/settings.js";

/** Settings the Functions host reads for itself, not the app. */
const hostSettings = ["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"];

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("configuration", () => {
  test("the paging token key is required in Azure, generated locally, and must be 32 bytes", () => {
    const local = sampleSettings();
    expect(problemsOf({ ...local, WEBSITE_INSTANCE_ID: "abc" })).toEqual([
      expect.stringMatching(/^PAGING_TOKEN_KEY: required in Azure/),
    ]);
    const key = Buffer.alloc(32, 7).toString("base64");
    expect(loadConfig({ ...local, WEBSITE_INSTANCE_ID: "abc", PAGING_TOKEN_KEY: key }).pagingTokenKey).toBe(
      key,
    );
    expect(Buffer.from(loadConfig(local).pagingTokenKey, "base64")).toHaveLength(32);
    expect(problemsOf({ ...local, PAGING_TOKEN_KEY: "c2hvcnQ=" })).toEqual([
      expect.stringMatching(/^PAGING_TOKEN_KEY: 32 bytes/),
    ]);
  });

  test("the sample settings file names exactly the settings the app reads", () => {
    const sample = Object.keys(sampleSettings()).filter((name) => !hostSettings.includes(name));
    const readButNotInSample = settingNames.filter(
      (name) =>
        !sample.includes(name) &&
        !name.startsWith("Storage__") &&
        !name.startsWith("GRAPH_") &&
        name !== "EMAIL_ENDPOINT" &&
        name !== "AUTH_AUTHORITY_HOST",
    );
    expect(readButNotInSample).toEqual([]);
    expect(sample.filter((name) => !settingNames.includes(name))).toEqual([]);
  });

  test("the sample settings load, and the result is frozen all the way down", () => {
    const config = loadConfig(sampleSettings());
    expect(config.auth.audiences).toEqual([
      "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01",
      "api://3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01",
    ]);
    expect(config.directory.mode).toBe("dev");
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth.issuers)).toBe(true);
    expect(() => {
      (config.auth as { requiredScope: string }).requiredScope = "x";
    }).toThrow(TypeError);
  });

  test("a missing setting fails with its name", () => {
    const { AUTH_TENANT_ID: _tenant, APP_BASE_URL: _base, ...rest } = sampleSettings();
    const problems = problemsOf(rest);
    expect(problems.some((problem) => problem.startsWith("AUTH_TENANT_ID:"))).toBe(true);
    expect(problems.some((problem) => problem.startsWith("APP_BASE_URL:"))).toBe(true);
  });

  test("a malformed setting fails with its name and what is wrong", () => {
    const problems = problemsOf({
      ...sampleSettings(),
      AUTH_CLIENT_ID: "not-a-guid",
      EMAIL_SENDER_ADDRESS: "nobody",
      INVITATION_RESEND_COOLDOWN_SECONDS: "-5",
      DIRECTORY_MODE: "ldap",
    });
    expect(problems.map((problem) => problem.split(":")[0]).sort()).toEqual([
      "AUTH_CLIENT_ID",
      "DIRECTORY_MODE",
      "EMAIL_SENDER_ADDRESS",
      "INVITATION_RESEND_COOLDOWN_SECONDS",
    ]);
    expect(problems.find((problem) => problem.startsWith("AUTH_CLIENT_ID"))).toContain("GUID");
  });

  test("storage needs a connection string or both service URIs; the issuer override needs its JWKS", () => {
    const { Storage: _storage, AUTH_JWKS_URI: _jwks, ...rest } = sampleSettings();
    const problems = problemsOf(rest);
    expect(problems.some((problem) => problem.startsWith("Storage:"))).toBe(true);
    expect(problems.some((problem) => problem.startsWith("AUTH_JWKS_URI:"))).toBe(true);
    expect(
      problemsOf({
        ...rest,
        Storage__tableServiceUri: "https://acct.table.core.windows.net",
        Storage__queueServiceUri: "https://acct.queue.core.windows.net",
        AUTH_ISSUER: "",
      }),
    ).toEqual([]);
  });

  test("without overrides the issuers are Entra's v1 and v2 forms for the tenant only", () => {
    const { AUTH_ISSUER: _issuer, AUTH_JWKS_URI: _jwks, ...rest } = sampleSettings();
    const config = loadConfig(rest);
    expect(config.auth.issuers).toEqual([
      "https://sts.windows.net/7f1f7d5e-4c59-4c1e-9a3c-0d6f1b2a9e10/",
      "https://login.microsoftonline.com/7f1f7d5e-4c59-4c1e-9a3c-0d6f1b2a9e10/v2.0",
    ]);
    expect(config.auth.jwksUri).toBe(
      "https://login.microsoftonline.com/7f1f7d5e-4c59-4c1e-9a3c-0d6f1b2a9e10/discovery/v2.0/keys",
    );
  });
});
