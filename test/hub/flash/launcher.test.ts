/**
 * The launcher the unit starts, run with stand-ins for Node.js: shell scripts that answer
 * --version as a given release would and otherwise print what they were asked to run.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { deviceLayout } from '../../../hub/flash/device-layout.js';
import { launcherScript } from '../../../hub/flash/launcher.js';
import { profile, tempDir } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function executable(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  await chmod(path, 0o755);
}

function fakeNode(version: string): string {
  return `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\necho "ran $0 with $*"\n`;
}

/** An install under a temp root, with a directory for PATH holding no node unless asked. */
async function install(t: Test, profileName = 'raspberry-pi-4'): Promise<{ root: string; launcher: string; bin: string }> {
  const root = await tempDir(t, 'launcher');
  const p = profile(profileName);
  const layout = deviceLayout(p);
  const launcher = join(root, layout.launcher);
  await executable(launcher, launcherScript(p, layout));
  const bin = join(root, 'path-bin');
  await mkdir(bin);
  return { root, launcher, bin };
}

/** PATH with the test's directory first, so a node put there is the one found, and the basic tools after. */
function pathWith(bin: string): NodeJS.ProcessEnv {
  return { PATH: `${bin}:/usr/bin:/bin` };
}

t.test('the launcher runs the agent beside it with the node on PATH, passing its arguments', async (t) => {
  const { root, launcher, bin } = await install(t);
  await executable(join(bin, 'node'), fakeNode('v20.11.1'));
  const result = await run(launcher, ['--log-level', 'debug'], pathWith(bin));
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout.trim(), `ran ${join(bin, 'node')} with ${join(root, '/opt/flotilla/flotilla-agent.mjs')} --log-level debug`);
});

t.test('the launcher prefers a Node.js installed beside the agent to the one on PATH', async (t) => {
  const { root, launcher, bin } = await install(t);
  await executable(join(bin, 'node'), fakeNode('v22.1.0'));
  await executable(join(root, '/opt/flotilla/node/bin/node'), fakeNode('v20.11.1'));
  const result = await run(launcher, [], pathWith(bin));
  t.match(result.stdout, `ran ${join(root, '/opt/flotilla/node/bin/node')} with`);
});

t.test('without Node.js the launcher says so, and how to get it for the profile', async (t) => {
  // /usr/bin may hold a node, so PATH is the test's directory alone, with the one tool the launcher uses.
  const { launcher, bin } = await install(t);
  await executable(join(bin, 'dirname'), '#!/bin/sh\nexec /usr/bin/dirname "$@"\n');
  const result = await run(launcher, [], { PATH: bin });
  t.equal(result.code, 1);
  t.match(result.stderr, /flotilla-agent: Node.js is not installed; install Node.js 20 or later from NodeSource/);
});

t.test('with a Node.js older than the profile asks for, the launcher refuses, naming both versions', async (t) => {
  const { launcher, bin } = await install(t);
  await executable(join(bin, 'node'), fakeNode('v18.19.0'));
  const result = await run(launcher, [], pathWith(bin));
  t.equal(result.code, 1);
  t.match(result.stderr, /is Node.js v18.19.0; the agent needs 20 or later/);
  t.notMatch(result.stdout, /ran/, 'the agent was not started');
});

t.test('for a profile that carries Node.js, the advice is where to put the binary', async (t) => {
  const { launcher, bin } = await install(t, 'raspberry-pi-3');
  await executable(join(bin, 'node'), fakeNode('v18.19.0'));
  const result = await run(launcher, [], pathWith(bin));
  t.match(result.stderr, /put the official Node.js 20 \(or later\) binary for linux-armv7l at \/opt\/flotilla\/node\/bin\/node/);
});
