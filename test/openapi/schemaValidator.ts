import ajvDraft04, { type ValidateFunction } from "ajv-draft-04";
import ajvFormats from "ajv-formats";

// CommonJS packages whose `default` export is the module itself: the class and the plugin are on `.default`.
const AjvDraft04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

/**
 * Validates values against the schema objects of a Swagger 2.0 definition with Ajv (JSON Schema
 * draft 4, which Swagger 2.0 schema objects are a subset of), plus what Swagger 2.0 adds:
 *
 * - `x-nullable: true` lets the value be null (the type becomes `[type, "null"]`); an `enum`
 *   still applies, so a nullable enum must list null, as in OpenAPI 3.0.3's `nullable`;
 * - the formats `uuid`, `date-time`, `email`, `int32`, ... (ajv-formats);
 * - `discriminator`, `readOnly`, `example` and the `x-ms-*` extensions are annotations.
 *
 * Strict mode: an unknown keyword in the definition throws instead of being ignored, so nothing
 * in a schema goes unchecked unnoticed.
 */

const annotations = [
  "discriminator",
  "readOnly",
  "example",
  "x-ms-summary",
  "x-ms-visibility",
  "x-ms-dynamic-values",
  "x-ms-test-value",
];
const base = "https://process-sharing.invalid/openapi.json";

/** A Swagger 2.0 schema object as JSON Schema draft 4, its `$ref`s pointing into `base`. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const schema: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/"))
      schema.$ref = `${base}${value}`;
    else if (key === "x-nullable") continue;
    else if (key === "properties" || key === "definitions")
      schema[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, item]) => [name, toJsonSchema(item)]),
      );
    else if (key === "items" || key === "additionalProperties" || key === "allOf")
      schema[key] = toJsonSchema(value);
    else schema[key] = value;
  }
  const nullable = (node as { "x-nullable"?: unknown })["x-nullable"] === true;
  if (nullable && typeof schema.type === "string") schema.type = [schema.type, "null"];
  return schema;
}

export interface SchemaValidator {
  /** Every way `value` breaks `schema` (a schema object of the definition), as `path: message` lines. */
  errors(schema: object, value: unknown): string[];
}

export function schemaValidator(definition: { readonly definitions: object }): SchemaValidator {
  const ajv = new AjvDraft04({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  for (const keyword of annotations) ajv.addKeyword({ keyword });
  ajv.addSchema({ id: base, ...(toJsonSchema({ definitions: definition.definitions }) as object) });
  const compiled = new Map<string, ValidateFunction>();
  return {
    errors(schema, value) {
      const key = JSON.stringify(schema);
      const validate = compiled.get(key) ?? ajv.compile(toJsonSchema(schema) as object);
      compiled.set(key, validate);
      if (validate(value)) return [];
      return (validate.errors ?? []).map(
        (error) =>
          `$${error.instancePath.replaceAll("/", ".")}: ${error.message ?? error.keyword}${
            error.keyword === "additionalProperties" || error.keyword === "enum"
              ? ` ${JSON.stringify(error.params)}`
              : ""
          }`,
      );
    },
  };
}
