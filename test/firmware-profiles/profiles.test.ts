import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadFirmwareProfile, profileProblems } from '../../agent/profile.js';

// The schema is walked by hand: there is no JSON Schema library in the project.
const directory = fileURLToPath(new URL('../../firmware-profiles/', import.meta.url));
const profileFiles = readdirSync(directory).filter((file) => file.endsWith('.json') && file !== 'schema.json');

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
}

const schema = JSON.parse(readFileSync(new URL('schema.json', `file://${directory}`), 'utf8')) as SchemaNode;
const raw = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(file, `file://${directory}`), 'utf8')) as Record<string, unknown>;

/** Fields of `value` with no described declaration in `node`, as paths. */
function undeclared(value: Record<string, unknown>, node: SchemaNode, path: string): string[] {
  const missing: string[] = [];
  // Objects whose keys are free (labels) are described as a whole, not key by key.
  if (node.properties === undefined) return missing;
  for (const [key, child] of Object.entries(value)) {
    const field = path === '' ? key : `${path}.${key}`;
    const declared = node.properties[key];
    if (declared === undefined || typeof declared.description !== 'string' || declared.description.length === 0) {
      missing.push(field);
      continue;
    }
    if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
      missing.push(...undeclared(child as Record<string, unknown>, declared, field));
    }
  }
  return missing;
}

/** Required fields of `node` (at any depth) absent from `value`, as paths. */
function absentRequired(value: Record<string, unknown>, node: SchemaNode, path: string): string[] {
  const absent: string[] = [];
  for (const key of node.required ?? []) {
    if (!Object.hasOwn(value, key)) absent.push(path === '' ? key : `${path}.${key}`);
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const nested = value[key];
    if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
      absent.push(...absentRequired(nested as Record<string, unknown>, child, path === '' ? key : `${path}.${key}`));
    }
  }
  return absent;
}

/** Every property declared anywhere in the schema, with its path. */
function declaredProperties(node: SchemaNode, path: string): Array<[string, SchemaNode]> {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const field = path === '' ? key : `${path}.${key}`;
    return [[field, child] as [string, SchemaNode], ...declaredProperties(child, field)];
  });
}

t.test('ships at least six firmware profiles', async (t) => {
  t.ok(profileFiles.length >= 6, `found ${profileFiles.length}: ${profileFiles.join(', ')}`);
});

t.test('describes every property the schema declares', async (t) => {
  const undescribed = declaredProperties(schema, '').filter(([, node]) => typeof node.description !== 'string' || node.description === '');
  t.same(undescribed.map(([field]) => field), []);
});

t.test('the schema requires what the loader requires', async (t) => {
  // A profile stripped of everything but $schema must fail on exactly the schema's required fields.
  const fields = profileProblems({ $schema: './schema.json' }).map((problem) => problem.field);
  t.same(fields.sort(), [...(schema.required ?? [])].sort());
});

for (const file of profileFiles) {
  const name = file.slice(0, -'.json'.length);

  t.test(`${file} loads without problems and is named after its file`, async (t) => {
    const profile = loadFirmwareProfile(name, directory);
    t.equal(profile.name, name);
  });

  t.test(`${file} uses only fields the schema declares and describes`, async (t) => {
    t.same(undeclared(raw(file), schema, ''), []);
  });

  t.test(`${file} has every field the schema requires`, async (t) => {
    t.same(absentRequired(raw(file), schema, ''), []);
  });
}
