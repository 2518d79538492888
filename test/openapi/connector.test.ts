import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { main, parseArguments, UsageError } from "../../connector/cli.js";
import definition from "../../shared/openapi/openapi.json" with { type: "json" };
import { apiPropertiesErrors, connectorDefinitionErrors, swaggerParserErrors } from "./connectorSchemas.js";

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const api = "b2d6f1c4-3a8e-4b5f-9c7d-1e2f3a4b5c6d";
const client = "5e8f2a1b-7c3d-4e9f-8a6b-0c1d2e3f4a5b";

describe("npm run connector", () => {
  let folder: string;
  let output: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "connector-"));
    output = await main([
      "--host",
      "https://func-processes.azurewebsites.net/",
      "--app-id-uri",
      `api://${api}`,
      "--tenant-id",
      tenant,
      "--client-id",
      client,
      "--out",
      folder,
    ]);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const read = async (name: string): Promise<any> => JSON.parse(await readFile(join(folder, name), "utf8"));

  test("writes the definition and apiProperties, and says how to import them", async () => {
    expect((await readdir(folder)).sort()).toEqual(["apiDefinition.swagger.json", "apiProperties.json"]);
    expect(output).toContain(`paconn create --api-def ${join(folder, "apiDefinition.swagger.json")}`);
  });

  test("the written definition is the repository's with the deployment's host, tenant and scope, and imports", async () => {
    const written = await read("apiDefinition.swagger.json");
    const scope = `api://${api}/Process.ReadWrite`;
    expect(written.host).toBe("func-processes.azurewebsites.net");
    expect(written.schemes).toEqual(["https"]);
    expect(written.securityDefinitions.oauth2).toEqual({
      type: "oauth2",
      flow: "accessCode",
      authorizationUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
      tokenUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
      scopes: { [scope]: expect.any(String) },
    });
    expect(written.security).toEqual([{ oauth2: [scope] }]);
    expect({ ...written, host: definition.host, securityDefinitions: {}, security: [] }).toEqual({
      ...definition,
      securityDefinitions: {},
      security: [],
    });
    expect(connectorDefinitionErrors(written)).toEqual([]);
    expect(await swaggerParserErrors(written)).toEqual([]);
  });

  test("the written apiProperties sign in through the aad provider to the API's app registration", async () => {
    const written = await read("apiProperties.json");
    expect(apiPropertiesErrors(written)).toEqual([]);
    const token = written.properties.connectionParameters.token;
    expect(token.type).toBe("oauthSetting");
    expect(token.oAuthSettings).toMatchObject({
      identityProvider: "aad",
      clientId: client,
      scopes: [`api://${api}/Process.ReadWrite`],
      properties: { IsFirstParty: "False", AzureActiveDirectoryResourceId: `api://${api}` },
      customParameters: {
        loginUri: { value: "https://login.microsoftonline.com" },
        tenantId: { value: tenant },
        resourceUri: { value: `api://${api}` },
      },
    });
    expect(written.properties.iconBrandColor).toMatch(/^#[0-9a-f]{6}$/i);
    expect(written.properties.publisher).toBeTruthy();
    expect(written.properties.policyTemplateInstances).toEqual([
      expect.objectContaining({
        templateId: "updatenextlink",
        parameters: {
          "x-ms-apimTemplate-operationName": ["ListProcesses", "ListAudit", "ListRecordings"],
          "x-ms-apimTemplateParameter.nextLinkPropertyName": "nextLink",
        },
      }),
    ]);
  });

  test("paconn's schema refuses apiProperties without the aad resource URI", async () => {
    const written = await read("apiProperties.json");
    delete written.properties.connectionParameters.token.oAuthSettings.customParameters.resourceUri;
    expect(apiPropertiesErrors(written).join("\n")).toMatch(/resourceUri/);
  });
});

describe("the connector script's options", () => {
  const base = ["--host", "func.example.net", "--app-id-uri", `api://${api}`, "--tenant-id", tenant];

  test("the client id defaults to the id in an api:// app id URI; a host may carry a port", () => {
    const { target, out } = parseArguments([...base.slice(0, 1), "func.example.net:8443", ...base.slice(2)]);
    expect(target).toEqual({
      host: "func.example.net:8443",
      appIdUri: `api://${api}`,
      tenantId: tenant,
      clientId: api,
      requiredScope: "Process.ReadWrite",
      authorityHost: "https://login.microsoftonline.com",
    });
    expect(out).toMatch(/dist[\\/]power-platform-connector$/);
  });

  test.each([
    [["--app-id-uri", `api://${api}`, "--tenant-id", tenant], /--host is required/],
    [["--host", "func.example.net", "--tenant-id", tenant], /--app-id-uri is required/],
    [["--host", "func.example.net", "--app-id-uri", `api://${api}`], /--tenant-id is required/],
    [[...base.slice(0, 1), "func example", ...base.slice(2)], /--host must be a host name/],
    [[...base.slice(0, 1), "https://", ...base.slice(2)], /--host 'https:\/\/' is not a URL/],
    [[...base.slice(0, 3), "processes", ...base.slice(4)], /--app-id-uri must look like/],
    [[...base.slice(0, 3), "https://contoso.com/processes", ...base.slice(4)], /--client-id must be/],
    [[...base.slice(0, 5), "not a tenant"], /--tenant-id must be/],
    [[...base, "--client-id", "alice"], /--client-id must be/],
    [[...base, "--scope", "a b"], /--scope 'a b' is not a scope name/],
    [[...base, "--authority", "http://login.example"], /--authority must be an https URL/],
    [[...base, "--colour", "red"], /Unknown option '--colour'/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(UsageError);
    expect(() => parseArguments(argv)).toThrow(message);
  });
});
