/**
 * A checker for the JSON-schema subset that shared/openapi/openapi.json uses (Swagger 2.0 schema
 * objects): $ref to #/definitions, type, format (uuid, date-time, email), enum, required,
 * properties, additionalProperties: false, items, min/max items, lengths and values, and the
 * `x-nullable` extension. Anything else in a schema is refused, so the checker never passes a
 * keyword it silently ignores.
 */

export interface SchemaObject {
  readonly $ref?: string;
  readonly type?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly additionalProperties?: boolean;
  readonly items?: SchemaObject;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly "x-nullable"?: boolean;
}

/** Keywords that describe and do not constrain. */
const annotations = new Set([
  "description",
  "x-ms-summary",
  "x-ms-visibility",
  "default",
  "title",
  "readOnly",
]);
const constraints = new Set([
  "$ref",
  "type",
  "format",
  "enum",
  "required",
  "properties",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "x-nullable",
]);

const formats: Readonly<Record<string, RegExp>> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  email: /^[^\s@]+@[^\s@]+$/,
  int32: /^-?\d+$/,
};

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms. */
export function schemaErrors(
  schema: SchemaObject,
  value: unknown,
  definitions: Readonly<Record<string, SchemaObject>>,
  path = "$",
): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!constraints.has(keyword) && !annotations.has(keyword)) {
      throw new Error(`${path}: the checker does not support the schema keyword '${keyword}'`);
    }
  }
  if (schema.$ref !== undefined) {
    const name = /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : definitions[name];
    if (target === undefined) throw new Error(`${path}: unresolved $ref ${schema.$ref}`);
    return schemaErrors(target, value, definitions, path);
  }
  if (value === null) return schema["x-nullable"] === true ? [] : [`${path}: is null but not nullable`];

  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const matches = schema.type === actual || (schema.type === "number" && actual === "integer");
    if (!matches) return [`${path}: is ${actual}, expected ${schema.type}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.map(String).join(", ")}`);
  }
  if (typeof value === "string") {
    const pattern = schema.format === undefined ? undefined : formats[schema.format];
    if (schema.format !== undefined && pattern === undefined)
      throw new Error(`${path}: unknown format ${schema.format}`);
    if (pattern !== undefined && !pattern.test(value))
      errors.push(`${path}: is not a ${schema.format ?? ""}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: too long`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${path}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${path}: too many items`);
    if (schema.items !== undefined) {
      const items = schema.items;
      value.forEach((item, index) =>
        errors.push(...schemaErrors(items, item, definitions, `${path}[${index}]`)),
      );
    }
  }
  if (actual === "object") {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in record)) errors.push(`${path}.${name}: is required`);
    }
    for (const [name, item] of Object.entries(record)) {
      const property = schema.properties?.[name];
      if (property !== undefined)
        errors.push(...schemaErrors(property, item, definitions, `${path}.${name}`));
      else if (schema.additionalProperties === false)
        errors.push(`${path}.${name}: is not in the definition`);
    }
  }
  return errors;
}
