import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { expect, test } from "vitest";

/** The web front end's deployment held to the code: where it is built, what azd deploys, who may call the API. */

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, "utf8");

test("azd deploys the folder Vite builds to a Static Web App tagged for the web service", () => {
  const azureYaml = read("azure.yaml");
  const web = azureYaml.slice(azureYaml.indexOf("\n  web:"));
  expect(web).toMatch(/host: staticwebapp/);
  expect(web).toMatch(/dist: dist\/web/);
  expect(read("web/vite.config.ts")).toContain('"../dist/web"');
  expect(read("infra/resources.bicep")).toMatch(/'azd-service-name': 'web'/);
  expect(read("package.json")).toMatch(/"build": "[^"]*vite build -c web\/vite\.config\.ts/);
});

test("the function app's CORS allows the Static Web App's origin, and invitation links default to it", () => {
  const resources = read("infra/resources.bicep");
  expect(resources).toMatch(/var allowedOrigins = filter\(union\(corsAllowedOrigins, \[webOrigin\]\)/);
  expect(resources).toMatch(/allowedOrigins: allowedOrigins/);
  expect(resources).toMatch(/CORS_ALLOWED_ORIGINS: join\(allowedOrigins, ','\)/);
  expect(resources).toMatch(/APP_BASE_URL: frontEndUrl/);
});

test("the web app's deployment config names the settings azd and the Entra script set", () => {
  const script = read("web/deploy-config.mjs");
  for (const name of ["FUNCTION_APP_URL", "WEB_CLIENT_ID", "AZURE_TENANT_ID", "AUTH_CLIENT_ID"]) {
    expect(script).toContain(name);
  }
  expect(read("infra/main.bicep")).toMatch(/^output FUNCTION_APP_URL /m);
  expect(read("scripts/entra-app-registration.sh")).toMatch(/azd env set WEB_CLIENT_ID/);
});
