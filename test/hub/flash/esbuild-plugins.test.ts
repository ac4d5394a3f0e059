import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import t from 'tap';
import { inlineFilesReadBesideModules, leaveOutPackages } from '../../../hub/flash/esbuild-plugins.js';
import { tempDir } from './fixtures.js';

const run = promisify(execFile);

async function bundle(entry: string, plugins: Parameters<typeof build>[0]['plugins']): Promise<string> {
  const outfile = join(entry, '..', 'out.mjs');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent', plugins });
  return outfile;
}

t.test('a file a module reads beside itself at run time is carried in the bundle', async (t) => {
  const dir = await tempDir(t, 'esbuild');
  await writeFile(join(dir, 'schema.txt'), 'message Birth {}\n');
  await writeFile(join(dir, 'main.ts'), "import { readFileSync } from 'node:fs';\nprocess.stdout.write(readFileSync(new URL('./schema.txt', import.meta.url), 'utf8'));\n");
  const out = await bundle(join(dir, 'main.ts'), [inlineFilesReadBesideModules()]);
  await rm(join(dir, 'schema.txt'));
  const { stdout } = await run(process.execPath, [out]);
  t.equal(stdout, 'message Birth {}\n', 'read from the bundle, the file being gone');
});

t.test('a module that reads a file that does not exist fails the build, naming both', async (t) => {
  const dir = await tempDir(t, 'esbuild');
  await writeFile(join(dir, 'main.ts'), "import { readFileSync } from 'node:fs';\nreadFileSync(new URL('./gone.proto', import.meta.url), 'utf8');\n");
  await t.rejects(bundle(join(dir, 'main.ts'), [inlineFilesReadBesideModules()]), /main\.ts reads \.\/gone\.proto at run time, and there is no .*gone\.proto/);
});

t.test('a left-out package loads, and using it fails naming the package and why it is not there', async (t) => {
  const dir = await tempDir(t, 'esbuild');
  await writeFile(
    join(dir, 'main.cjs'),
    "const { Client } = require('ssh2');\nconsole.log('loaded');\ntry { new Client(); } catch (error) { console.log(error.message); }\n",
  );
  const out = await bundle(join(dir, 'main.cjs'), [leaveOutPackages({ ssh2: 'Docker over SSH' })]);
  const { stdout } = await run(process.execPath, [out]);
  t.equal(stdout, 'loaded\nssh2 is not part of the agent bundle (Docker over SSH)\n');
});
