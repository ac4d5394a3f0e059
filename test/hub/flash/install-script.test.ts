/**
 * The bundle's install.sh, run as a person runs it: with the device's shells (dash, as
 * Debian's /bin/sh, and BusyBox's ash), into a root filesystem made for the test.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { FirmwareProfile } from '../../../agent/profile.js';
import { bundleEntries, writeBundleDirectory } from '../../../hub/flash/bundle-output.js';
import { deviceLayout } from '../../../hub/flash/device-layout.js';
import { installScript } from '../../../hub/flash/install-script.js';
import { devicePayload, type DevicePayload } from '../../../hub/flash/payload.js';
import { ENGINE_ADVICE } from '../../../hub/flash/requirements.js';
import { FAKE_AGENT, hubCa, profile, tempDir } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Debian's /bin/sh and BusyBox's, where this machine has them; /bin/sh always. */
const SHELLS: { name: string; command: string[] }[] = [
  { name: 'dash', command: ['dash'] },
  { name: 'BusyBox ash', command: ['busybox', 'sh'] },
].filter(({ command }) => ['/bin', '/usr/bin'].some((dir) => existsSync(join(dir, command[0] ?? ''))));
if (SHELLS.length === 0) SHELLS.push({ name: '/bin/sh', command: ['/bin/sh'] });

function run(shell: string[], script: string, args: string[]): Promise<Run> {
  const [program, ...shellArgs] = shell;
  return new Promise((resolve) => {
    execFile(program ?? 'sh', [...shellArgs, script, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Bundle {
  dir: string;
  script: string;
  payload: DevicePayload;
}

async function makeBundle(t: Test, p: FirmwareProfile = profile()): Promise<Bundle> {
  const ca = await hubCa(t);
  const layout = deviceLayout(p);
  const payload = devicePayload({ profile: p, layout, settings: { profile: p.name, token: ca.token }, agentScript: FAKE_AGENT, caPem: ca.pem });
  const dir = join(await tempDir(t, 'bundle'), 'bundle');
  writeBundleDirectory(dir, bundleEntries(payload, installScript(p, layout, payload)));
  return { dir, script: join(dir, 'install.sh'), payload };
}

async function emptyRoot(t: Test): Promise<string> {
  const root = await tempDir(t, 'root');
  await mkdir(join(root, 'etc'));
  return root;
}

/** Every path under `root` with what would show a change: mode, size, modification and change times, link target. */
function snapshot(root: string): Record<string, string> {
  const seen: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const link = stat.isSymbolicLink() ? readlinkSync(path) : '';
      seen[path.slice(root.length)] = `${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs} ${link}`;
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(root);
  return seen;
}

function modeOf(path: string): number {
  return lstatSync(path).mode & 0o7777;
}

for (const { name: shellName, command: shell } of SHELLS) {
  t.test(`with ${shellName}`, async (t) => {
    t.test('install.sh --root puts every file in place with its mode, makes the state directory and enables the service', async (t) => {
      const bundle = await makeBundle(t);
      const root = await emptyRoot(t);
      const result = await run(shell, bundle.script, ['--root', root]);
      t.equal(result.code, 0, result.stderr);
      for (const file of bundle.payload.files) {
        t.equal(readFileSync(join(root, file.path), 'utf8'), Buffer.from(file.content).toString('utf8'), `${file.path} holds what the bundle carries`);
        t.equal(modeOf(join(root, file.path)), file.mode, `${file.path} has mode ${file.mode.toString(8)}`);
        t.match(result.stdout, `installed ${file.path}`);
      }
      t.equal(modeOf(join(root, '/var/lib/flotilla')), 0o700, 'the state directory is for root only');
      t.equal(readlinkSync(join(root, '/etc/systemd/system/multi-user.target.wants/flotilla-agent.service')), '/etc/systemd/system/flotilla-agent.service');
      t.equal(modeOf(join(root, '/opt')), 0o755, 'directories made on the way are readable by all');
      t.match(result.stdout, /starts and joins the fleet when the device first boots/);
    });

    t.test('run again, install.sh changes nothing that is right and says so', async (t) => {
      const bundle = await makeBundle(t);
      const root = await emptyRoot(t);
      t.equal((await run(shell, bundle.script, ['--root', root])).code, 0);
      const before = snapshot(root);
      const again = await run(shell, bundle.script, ['--root', `${root}/`]);
      t.equal(again.code, 0, again.stderr);
      t.same(snapshot(root), before, 'no file, mode, time or link changed');
      t.match(again.stdout, /nothing changed/);
      t.notMatch(again.stdout, /installed/);
    });

    t.test('install.sh puts back a file that was changed, and the mode of one that was changed, and nothing else', async (t) => {
      const bundle = await makeBundle(t);
      const root = await emptyRoot(t);
      await run(shell, bundle.script, ['--root', root]);
      await writeFile(join(root, '/etc/flotilla/agent.env'), 'FLOTILLA_JOIN_TOKEN=edited\n');
      await chmod(join(root, '/etc/flotilla/ca.crt'), 0o600);
      const before = snapshot(root);
      const result = await run(shell, bundle.script, ['--root', root]);
      t.equal(result.code, 0, result.stderr);
      t.same(result.stdout.split('\n').filter((line) => /^(installed|set|created|enabled)/.test(line)), [
        'installed /etc/flotilla/agent.env',
        'set the mode of /etc/flotilla/ca.crt to 644',
      ]);
      const after = snapshot(root);
      const changed = Object.keys(after).filter((path) => after[path] !== before[path]);
      t.same(changed.sort(), ['/etc/flotilla', '/etc/flotilla/agent.env', '/etc/flotilla/ca.crt'], 'only those (and the directory the file was renamed in)');
      t.equal(modeOf(join(root, '/etc/flotilla/agent.env')), 0o600);
    });

    t.test('install.sh --root warns about what the image lacks, with how to get it, and installs all the same', async (t) => {
      const bundle = await makeBundle(t);
      const root = await emptyRoot(t);
      const result = await run(shell, bundle.script, ['--root', root]);
      t.equal(result.code, 0);
      t.match(result.stderr, /lacks systemd/);
      t.match(result.stderr, /lacks Node.js: install Node.js 20 or later from NodeSource: curl -fsSL https:\/\/deb.nodesource.com\/setup_20.x/);
      t.match(result.stderr, `lacks podman (no podman.socket): ${ENGINE_ADVICE.podman}`);
    });

    t.test('install.sh --root warns about nothing when the image has systemd, Node.js and the engine', async (t) => {
      const bundle = await makeBundle(t);
      const root = await emptyRoot(t);
      for (const file of ['usr/lib/systemd/systemd', 'usr/bin/node', 'lib/systemd/system/podman.socket']) {
        await mkdir(join(root, file, '..'), { recursive: true });
        await writeFile(join(root, file), '');
      }
      const result = await run(shell, bundle.script, ['--root', root]);
      t.equal(result.code, 0);
      t.equal(result.stderr, '');
    });

    t.test('install.sh refuses a --root that is not a root filesystem, and writes nothing', async (t) => {
      const bundle = await makeBundle(t);
      const notRoot = await tempDir(t, 'boot');
      const result = await run(shell, bundle.script, ['--root', notRoot]);
      t.equal(result.code, 1);
      t.match(result.stderr, /does not look like a root filesystem: it has no etc\/ directory/);
      t.same(readdirSync(notRoot), []);
    });

    t.test('install.sh on a running system without the engine socket installs nothing and says how to get the engine', async (t) => {
      // Every path of this profile is in a temp directory and its socket never exists, so
      // the checks always fail and nothing can reach this machine's own directories.
      const base = await tempDir(t, 'live');
      const p = profile('industrial-pc-x86', {
        installDir: join(base, 'opt/flotilla'),
        configFile: join(base, 'etc/flotilla/agent.env'),
        stateDir: join(base, 'var/lib/flotilla'),
        runtimeEndpoint: join(base, 'no-engine.sock'),
      });
      const bundle = await makeBundle(t, p);
      const result = await run(shell, bundle.script, []);
      t.equal(result.code, 1);
      if (process.getuid?.() === 0) {
        t.match(result.stderr, `missing: the podman engine's API socket ${p.runtimeEndpoint}: ${ENGINE_ADVICE.podman}`);
        t.match(result.stderr, /nothing was installed: add what is missing above, then run this again/);
      } else {
        t.match(result.stderr, /run as root/);
      }
      t.same(readdirSync(base), [], 'nothing was written');
    });

    t.test('install.sh --help says what it does; an unknown argument is a usage error', async (t) => {
      const bundle = await makeBundle(t);
      const help = await run(shell, bundle.script, ['--help']);
      t.equal(help.code, 0);
      t.match(help.stdout, /Usage: sh install.sh \[--root <dir>\]/);
      t.match(help.stdout, /firmware profile industrial-pc-x86/);
      const wrong = await run(shell, bundle.script, ['--rot', '/mnt']);
      t.equal(wrong.code, 2);
      t.match(wrong.stderr, /unknown argument: --rot/);
    });
  });
}
