import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import SwaggerParser from "@apidevtools/swagger-parser";
import ajvDraft04, { type ErrorObject } from "ajv-draft-04";
import ajvFormats from "ajv-formats";

// CommonJS packages whose `default` export is the module itself: the class and the plugin are on `.default`.
const AjvDraft04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

/**
 * The Power Platform connector repository's own schemas (microsoft/PowerPlatformConnectors
 * `schemas/`), read from `../shared/powerplatform-connector/` beside the repository's root, as CI
 * checks the clone out beside `shared`. Validated as that folder's README says: Ajv for draft 4,
 * `{allErrors: true, strict: false}`, after dropping the `//` comments; plus ajv-formats, so that
 * `uri`, `email` and `regex` are checked rather than ignored.
 */

const repositoryRoot = new URL("../../", import.meta.url);
export const connectorSchemaFolder = fileURLToPath(
  new URL("../shared/powerplatform-connector/", repositoryRoot),
);

/** The file's JSON without its `//` comments (whole lines, and one after a value in apiProperties'). */
function readWithoutComments(name: string): Record<string, unknown> {
  const text = readFileSync(`${connectorSchemaFolder}${name}`, "utf8")
    .replace(/^\s*\/\/.*$/gm, "")
    .replace(/\s\/\/ [^"\n]*$/gm, "");
  return JSON.parse(text) as Record<string, unknown>;
}

function validator(name: string) {
  const { $schema: _declared, ...schema } = readWithoutComments(name);
  // paconn-apiProperties declares draft 7 but is written in draft 4 (`id`, draft 4 keywords only),
  // so it is compiled as draft 4 like the definition's schema.
  const ajv = new AjvDraft04({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (value: unknown): string[] =>
    validate(value)
      ? []
      : (validate.errors ?? []).map(
          (error: ErrorObject) =>
            `${error.instancePath || "/"}: ${error.message ?? error.keyword} (${error.schemaPath})`,
        );
}

let definitionValidator: ((value: unknown) => string[]) | undefined;
let apiPropertiesValidator: ((value: unknown) => string[]) | undefined;

/** How a Swagger 2.0 definition breaks `apiDefinition.swagger.schema.json`; empty when it conforms. */
export function connectorDefinitionErrors(definition: unknown): string[] {
  definitionValidator ??= validator("apiDefinition.swagger.schema.json");
  return definitionValidator(definition);
}

/** How an `apiProperties.json` breaks `paconn-apiProperties.schema.json`; empty when it conforms. */
export function apiPropertiesErrors(apiProperties: unknown): string[] {
  apiPropertiesValidator ??= validator("paconn-apiProperties.schema.json");
  return apiPropertiesValidator(apiProperties);
}

/**
 * What `@apidevtools/swagger-parser` finds wrong: its Swagger 2.0 JSON Schema and its spec rules
 * (unique operation ids, path parameters, required properties that exist, ...), both on, nothing
 * loosened. Empty when it validates.
 */
export async function swaggerParserErrors(definition: unknown): Promise<string[]> {
  try {
    // It dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(definition) as never);
    return [];
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split("\n").filter(Boolean);
  }
}
