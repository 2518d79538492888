import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { type Definition, definitionFor, scopeOf } from "../shared/openapi/deployment.js";
import stored from "../shared/openapi/openapi.json" with { type: "json" };
import template from "./apiProperties.json" with { type: "json" };

/**
 * The Power Platform custom connector of one deployed API, as the folder `paconn create` takes:
 * `apiDefinition.swagger.json` (the repository's definition with the deployment's host and
 * sign-in) and `apiProperties.json` (the `aad` identity provider for the API's app registration,
 * the brand colour, the publisher and the policy that routes `nextLink` through the connector).
 */

export type ApiProperties = typeof template;

export interface ConnectorTarget {
  /** The function app's host name, e.g. `func-processes.azurewebsites.net`. */
  readonly host: string;
  /** The API's app id URI, e.g. `api://<client id>`. */
  readonly appIdUri: string;
  /** The Entra tenant (id or domain) the API's registration lives in. */
  readonly tenantId: string;
  /** The app registration the connector signs in as; by default the API's own (`api://<id>`). */
  readonly clientId: string;
  /** The delegated scope; the API requires `Process.ReadWrite` unless configured otherwise. */
  readonly requiredScope: string;
  readonly authorityHost: string;
}

export const connectorFiles = {
  definition: "apiDefinition.swagger.json",
  properties: "apiProperties.json",
} as const;

export function connectorDefinition(target: ConnectorTarget): Definition {
  return definitionFor(stored, {
    host: target.host,
    scheme: "https",
    authority: `${target.authorityHost}/${target.tenantId}`,
    appIdUri: target.appIdUri,
    requiredScope: target.requiredScope,
  });
}

export function connectorApiProperties(target: ConnectorTarget): ApiProperties {
  const token = template.properties.connectionParameters.token;
  const settings = token.oAuthSettings;
  const resource = target.appIdUri.replace(/\/+$/, "");
  return {
    properties: {
      ...template.properties,
      connectionParameters: {
        token: {
          ...token,
          oAuthSettings: {
            ...settings,
            clientId: target.clientId,
            scopes: [scopeOf(target)],
            properties: { ...settings.properties, AzureActiveDirectoryResourceId: resource },
            customParameters: {
              loginUri: { value: target.authorityHost },
              tenantId: { value: target.tenantId },
              resourceUri: { value: resource },
            },
          },
        },
      },
    },
  };
}

/** Writes the two files into `folder` (created if missing) and returns their paths. */
export async function writeConnectorFolder(target: ConnectorTarget, folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const files: [string, unknown][] = [
    [join(folder, connectorFiles.definition), connectorDefinition(target)],
    [join(folder, connectorFiles.properties), connectorApiProperties(target)],
  ];
  for (const [path, content] of files) await writeFile(path, `${JSON.stringify(content, null, 2)}\n`);
  return files.map(([path]) => path);
}
