/**
 * `flotilla agent` runs on small devices: what it loads must stay out of the hub. Its
 * static import graph is followed from the entry; dynamic imports are what keep the rest out.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Relative modules and package names a file imports statically (not `import type`). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) found.push(match[1] ?? '');
  for (const match of source.matchAll(/^import\s+'([^']+)'/gm)) found.push(match[1] ?? '');
  return found;
}

function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  };
  visit(join(repoRoot, entry));
  return { files, packages };
}

t.test('the agent command loads nothing of the hub beyond the CLI, and no fastify or yaml', (t) => {
  const { files, packages } = graph('hub/cli/commands/agent.ts');
  const hubModules = [...files].map((file) => relative(repoRoot, file)).filter((file) => file.startsWith('hub/') && !file.startsWith('hub/cli/'));
  t.same(hubModules, []);
  t.notOk(packages.has('fastify'), 'fastify is not loaded');
  t.notOk(packages.has('yaml'), 'yaml is not loaded');
  t.end();
});

t.test('the entry loads only commander, the error printer and the declarations of the agent, logs and top commands before a command runs', (t) => {
  const { files, packages } = graph('hub/cli/flotilla.ts');
  t.same([...packages], ['commander']);
  t.same([...files].map((file) => relative(repoRoot, file)).sort(), [
    'hub/cli/agent-command.ts',
    'hub/cli/errors.ts',
    'hub/cli/flotilla.ts',
    'hub/cli/logs-command.ts',
    'hub/cli/top-command.ts',
    'shared/errors.ts',
  ]);
  t.end();
});
