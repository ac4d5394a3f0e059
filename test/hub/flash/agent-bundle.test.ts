/**
 * The real one-file agent, built once and run from a directory outside the repository, where
 * no node_modules and no source file can be found.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { buildAgentBundle, LEFT_OUT_PACKAGES } from '../../../hub/flash/agent-bundle.js';
import { tempDir } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function node(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const code = await buildAgentBundle();

t.test('the bundle is one ES module for Node.js that starts with a shebang', async (t) => {
  // Checked with test() and includes(): tap's own matchers are slow on a 4 MB string.
  t.ok(code.startsWith('#!/usr/bin/env node\n'), 'a shebang');
  t.notOk(/\brequire\(["'][^"']+\.node["']\)/.test(code), 'no native addon is required');
});

t.test('the protobuf schema is inside the bundle, not read from beside it', async (t) => {
  const proto = readFileSync(new URL('../../../shared/proto/flotilla.proto', import.meta.url), 'utf8');
  // Lines of the schema that no TypeScript holds; esbuild may write the string with other escapes.
  for (const line of proto.split('\n').filter((l) => /^(package |message |syntax )/.test(l))) {
    t.ok(code.includes(line.replace(/"/g, '\\"')) || code.includes(line), `the schema's "${line}" is in the bundle`);
  }
  t.notOk(/new URL\(["']\.\/flotilla\.proto["']/.test(code), 'nothing reads it from disk');
});

t.test('the packages the agent never runs are left out', async (t) => {
  // esbuild heads each module's code with a comment naming its path.
  for (const name of Object.keys(LEFT_OUT_PACKAGES)) t.notOk(code.includes(`// node_modules/${name}/`), name);
});

t.test('run where no node_modules can be found, it answers --version and --help', async (t) => {
  const dir = await tempDir(t, 'bundle-run');
  await writeFile(join(dir, 'flotilla-agent.mjs'), code);
  const version = await node(dir, ['flotilla-agent.mjs', '--version']);
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const help = await node(dir, ['flotilla-agent.mjs', '--help']);
  t.match(help.stdout, /Usage: flotilla-agent \[options\]/);
  t.match(help.stdout, /--token <join token>/);
});

t.test('run where no node_modules can be found, it loads the whole agent and reports a bad setting as a usage error', async (t) => {
  const dir = await tempDir(t, 'bundle-run');
  await writeFile(join(dir, 'flotilla-agent.mjs'), code);
  const result = await node(dir, ['flotilla-agent.mjs', '--name', 'Not_A_Name'], { FLOTILLA_LOG_LEVEL: 'silent' });
  t.equal(result.code, 2);
  t.match(result.stderr, /invalid --name "Not_A_Name"/);
  const token = await node(dir, ['flotilla-agent.mjs', '--name', 'ok', '--token', 'flotilla1.garbage'], { FLOTILLA_LOG_LEVEL: 'silent' });
  t.not(token.code, 0);
  t.match(token.stderr, /join token/);
});
