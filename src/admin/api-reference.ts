/** The parts of an OpenAPI 3 document the reference reads. */
interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  default?: unknown;
}
interface Operation {
  operationId: string;
  tags?: string[];
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>;
}
export interface OpenApiDocument {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A schema's type and limits in a few words: `string ≤ 64`, `integer 1..1000 (100)`, `array of object`. */
function typeText(schema: Schema): string {
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  const parts = [type === 'array' && schema.items ? `array of ${typeText(schema.items)}` : type];
  if (schema.enum) parts.push(`one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? ''}..${schema.maximum ?? ''}`);
  if (schema.maxLength !== undefined) parts.push(`≤ ${schema.maxLength} characters`);
  if (schema.maxItems !== undefined) parts.push(`≤ ${schema.maxItems} items`);
  if (schema.pattern !== undefined) parts.push(`matching \`${schema.pattern}\``);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

/** The fields of an object schema, nested ones by their dotted path. */
function fieldRows(schema: Schema, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    const required = schema.required?.includes(name) ? 'yes' : '';
    rows.push(`| \`${path}\` | ${cell(typeText(field))} | ${required} | ${cell(field.description ?? '')} |`);
    if (field.properties) rows.push(...fieldRows(field, `${path}.`));
    if (field.items?.properties) rows.push(...fieldRows(field.items, `${path}[].`));
  }
  return rows;
}

const FIELD_HEADER = ['| field | type | required | |', '|---|---|---|---|'];

const fieldsText = (schema: Schema) =>
  `object: ${Object.keys(schema.properties!)
    .map((k) => `\`${k}\``)
    .join(', ')}`;

/** An answer's body: an object's fields, an array's items' fields, or its type. */
function bodyText(schema: Schema): string {
  if (schema.properties) return fieldsText(schema);
  if (schema.items?.properties) return `array of ${fieldsText(schema.items)}`;
  return typeText(schema);
}

function operationSection(method: string, path: string, operation: Operation): string[] {
  const lines = [`### \`${method.toUpperCase()} ${path}\``, '', `Operation \`${operation.operationId}\`.`];
  if (operation.description) lines.push('', operation.description);
  if (operation.parameters?.length) {
    lines.push('', '| parameter | in | type | required |', '|---|---|---|---|');
    for (const p of operation.parameters)
      lines.push(`| \`${p.name}\` | ${p.in} | ${cell(typeText(p.schema))} | ${p.required ? 'yes' : ''} |`);
  }
  for (const [type, { schema }] of Object.entries(operation.requestBody?.content ?? {})) {
    lines.push('', `Request body, \`${type}\`: ${schema.properties ? 'an object.' : `${typeText(schema)}.`}`);
    const rows = fieldRows(schema);
    if (rows.length) lines.push('', ...FIELD_HEADER, ...rows);
  }
  lines.push('', '| answer | body |', '|---|---|');
  for (const [status, response] of Object.entries(operation.responses)) {
    const schema = Object.values(response.content ?? {})[0]?.schema;
    const body = !schema ? 'none' : bodyText(schema);
    lines.push(
      `| ${status} | ${cell(response.description && response.description !== 'Default Response' ? `${response.description}; ${body}` : body)} |`,
    );
  }
  return [...lines, ''];
}

/**
 * The admin API's reference in Markdown, from its OpenAPI document: one section per tag, one per
 * operation, with parameters, body fields and answers. docs/api-reference.md is this, written by
 * `npm run docs:api`; a test compares them.
 */
export function renderApiReference(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const tags = [...new Set(operations.map((o) => o.operation.tags?.[0] ?? 'other'))];
  const lines = [
    `# ${document.info.title}: reference`,
    '',
    'Generated from the OpenAPI document the admin listener serves at `GET /api/openapi.json`',
    '(`npm run docs:api`); [admin-api.md](admin-api.md) explains tokens, the audit trail and metrics.',
    'Every operation takes `Authorization: Bearer <token>`. Refusals (`4XX`, `5XX`) are',
    '`{ "code", "message" }`, with the codes of [answers.md](answers.md).',
    '',
  ];
  for (const tag of tags) {
    lines.push(`## ${tag}`, '');
    for (const { path, method, operation } of operations.filter((o) => (o.operation.tags?.[0] ?? 'other') === tag))
      lines.push(...operationSection(method, path, operation));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
