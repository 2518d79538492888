// Writes the web app's deployment files from the azd environment (azd passes its values to hooks
// as environment variables):
//   config.json               where the API is and how to sign in (Microsoft Entra, MSAL)
//   staticwebapp.config.json  the Static Web App's routes (every app path serves index.html) and headers
//
//   node web/deploy-config.mjs <folder> [--if-ready]
// --if-ready: exit quietly when the API's URL is not known yet (before the first provision).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { URL } from "node:url";

const [folder, flag] = process.argv.slice(2);
if (folder === undefined) {
  process.stderr.write("usage: node web/deploy-config.mjs <folder> [--if-ready]\n");
  process.exit(2);
}
const env = process.env;
const apiUrl = env.FUNCTION_APP_URL ?? "";
const webClientId = env.WEB_CLIENT_ID ?? "";
const tenantId = env.AUTH_TENANT_ID || env.AZURE_TENANT_ID || "";
const apiClientId = env.AUTH_CLIENT_ID ?? "";
if (apiUrl === "" || webClientId === "" || tenantId === "" || apiClientId === "") {
  if (flag === "--if-ready") {
    process.stdout.write(
      "web config: the API or the web app registration is not known yet; written at deploy.\n",
    );
    process.exit(0);
  }
  process.stderr.write(
    "web config: FUNCTION_APP_URL, WEB_CLIENT_ID, AZURE_TENANT_ID and AUTH_CLIENT_ID must be set in the azd environment " +
      "(azd provision sets the first and third; scripts/entra-app-registration.sh register and spa set the others).\n",
  );
  process.exit(1);
}
const apiOrigin = new URL(apiUrl).origin;
const appIdUri = env.AUTH_APP_ID_URI || `api://${apiClientId}`;
const scope = `${appIdUri}/${env.AUTH_REQUIRED_SCOPE || "Process.ReadWrite"}`;
const authorityHost = (env.AUTH_AUTHORITY_HOST || "https://login.microsoftonline.com").replace(/\/+$/, "");
const authority = `${authorityHost}/${tenantId}`;

const config = { apiBaseUrl: apiOrigin, auth: { mode: "entra", clientId: webClientId, authority, scope } };
const staticWebApp = {
  navigationFallback: { rewrite: "/index.html", exclude: ["/assets/*", "/config.json"] },
  routes: [{ route: "/config.json", headers: { "cache-control": "no-store" } }],
  globalHeaders: {
    "content-security-policy": [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ${apiOrigin} ${new URL(authorityHost).origin}`,
      `frame-src ${new URL(authorityHost).origin}`,
      "frame-ancestors 'none'",
      "base-uri 'self'",
      `form-action 'self' ${new URL(authorityHost).origin}`,
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  },
};
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
writeFileSync(join(folder, "staticwebapp.config.json"), `${JSON.stringify(staticWebApp, null, 2)}\n`);
process.stdout.write(
  `web config: ${join(folder, "config.json")} (API ${apiOrigin}, client ${webClientId}).\n`,
);
