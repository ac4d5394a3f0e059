/**
 * `flash` end to end but for the network and the build: the hub's CA comes from a stand-in
 * fetcher and the agent is a stand-in text, so each case takes milliseconds.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { Test } from 'tap';
import { loadFirmwareProfile, type FirmwareProfile } from '../../../agent/profile.js';
import { parseAgentEnvironment } from '../../../hub/flash/agent-env.js';
import { flash, type FlashDestination, type FlashRequest } from '../../../hub/flash/flash.js';
import type { CaFetcher } from '../../../hub/flash/hub-ca.js';
import { FAKE_AGENT, HUB, hubCa, profile, tempDir, type TestHubCa } from './fixtures.js';

const run = promisify(execFile);

function serving(pem: string, calls: string[] = []): CaFetcher {
  return async (url) => {
    calls.push(url);
    return { status: 200, headers: {}, body: Buffer.from(pem) };
  };
}

function request(ca: TestHubCa, destination: FlashDestination, more: Partial<FlashRequest> = {}): FlashRequest {
  return { profile: profile(), token: ca.token, destination, fetchCa: serving(ca.pem), buildAgent: async () => FAKE_AGENT, ...more };
}

async function emptyRoot(t: Test): Promise<string> {
  const root = await tempDir(t, 'root');
  await mkdir(join(root, 'etc'));
  return root;
}

/** Every file and link under `dir`: its mode and content (a link: its target). */
function tree(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const stat = lstatSync(path);
      const key = path.slice(dir.length);
      if (stat.isSymbolicLink()) found[key] = `-> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        found[`${key}/`] = (stat.mode & 0o7777).toString(8);
        walk(path);
      } else found[key] = `${(stat.mode & 0o7777).toString(8)} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(dir);
  return found;
}

t.test('--out <dir> writes install.sh and the files for the device, with the CA the hub served', async (t) => {
  const ca = await hubCa(t);
  const out = join(await tempDir(t), 'bundle');
  const result = await flash(request(ca, { out }, { deviceName: 'cam-7', labels: 'role = camera, site=plant-3' }));
  t.match(result, { kind: 'directory', path: out, hub: HUB, warnings: [] });
  t.equal(lstatSync(join(out, 'install.sh')).mode & 0o777, 0o755);
  t.equal(readFileSync(join(out, 'files/opt/flotilla/flotilla-agent.mjs'), 'utf8'), FAKE_AGENT);
  t.equal(readFileSync(join(out, 'files/etc/flotilla/ca.crt'), 'utf8').trim(), ca.pem.trim());
  const env = parseAgentEnvironment(readFileSync(join(out, 'files/etc/flotilla/agent.env'), 'utf8'));
  t.match(env, { FLOTILLA_JOIN_TOKEN: ca.token, FLOTILLA_DEVICE_NAME: 'cam-7', FLOTILLA_LABELS: 'role=camera,site=plant-3' });
  const written = loadFirmwareProfile(join(out, 'files/etc/flotilla/industrial-pc-x86.json'));
  t.same(written, loadFirmwareProfile('industrial-pc-x86'), "the agent's loader reads the profile file as the original");
  t.ok(existsSync(join(out, 'files/etc/systemd/system/flotilla-agent.service')));
});

t.test('--out <file.tar.gz> holds the same bundle under a directory named after the file', async (t) => {
  const ca = await hubCa(t);
  const dir = await tempDir(t);
  await flash(request(ca, { out: join(dir, 'plain') }));
  const result = await flash(request(ca, { out: join(dir, 'cam.tar.gz') }));
  t.equal(result.kind, 'tarball');
  await mkdir(join(dir, 'unpacked'));
  await run('tar', ['-xzf', join(dir, 'cam.tar.gz'), '-C', join(dir, 'unpacked')]);
  t.same(readdirSync(join(dir, 'unpacked')), ['cam']);
  const fromTarball = tree(join(dir, 'unpacked/cam'));
  const plain = tree(join(dir, 'plain'));
  t.same(fromTarball, plain);
});

t.test('--target writes into the root filesystem just what install.sh --root writes there, the boot link included', async (t) => {
  const ca = await hubCa(t);
  const viaTarget = await emptyRoot(t);
  const viaScript = await emptyRoot(t);
  const bundle = join(await tempDir(t), 'bundle');
  const result = await flash(request(ca, { target: viaTarget }));
  await flash(request(ca, { out: bundle }));
  await run('sh', [join(bundle, 'install.sh'), '--root', viaScript]);
  t.same(tree(viaTarget), tree(viaScript));
  t.equal(readlinkSync(join(viaTarget, 'etc/systemd/system/multi-user.target.wants/flotilla-agent.service')), '/etc/systemd/system/flotilla-agent.service');
  t.equal(lstatSync(join(viaTarget, 'etc/flotilla/agent.env')).mode & 0o777, 0o600, 'the config with the token is for root only');
  t.same(result.changed.sort(), [
    '/etc/flotilla/agent.env',
    '/etc/flotilla/ca.crt',
    '/etc/flotilla/industrial-pc-x86.json',
    '/etc/systemd/system/flotilla-agent.service',
    '/etc/systemd/system/multi-user.target.wants/flotilla-agent.service',
    '/opt/flotilla/bin/flotilla-agent',
    '/opt/flotilla/flotilla-agent.mjs',
    '/var/lib/flotilla',
  ]);
});

t.test('--target again with the same settings changes nothing', async (t) => {
  const ca = await hubCa(t);
  const root = await emptyRoot(t);
  await flash(request(ca, { target: root }));
  const before = tree(root);
  const again = await flash(request(ca, { target: root }));
  t.same(again.changed, []);
  t.same(tree(root), before);
});

t.test('--target warns about what the image lacks, and not about what it has', async (t) => {
  const ca = await hubCa(t);
  const bare = await emptyRoot(t);
  const { warnings } = await flash(request(ca, { target: bare }));
  t.match(warnings, [/^systemd is not in the image/, /^Node.js is not in the image: install Node.js 20 or later from NodeSource/, /^the image has no podman.socket/]);
  const ready = await emptyRoot(t);
  for (const file of ['lib/systemd/systemd', 'usr/bin/node', 'usr/lib/systemd/system/podman.socket']) {
    await mkdir(join(ready, file, '..'), { recursive: true });
    await writeFile(join(ready, file), '');
  }
  t.same((await flash(request(ca, { target: ready }))).warnings, []);
});

t.test('a CA that is not the one the token pins is refused before anything is written', async (t) => {
  const ca = await hubCa(t);
  const impostor = await hubCa(t);
  const out = join(await tempDir(t), 'bundle');
  await t.rejects(flash(request(ca, { out }, { fetchCa: serving(impostor.pem) })), { code: 'Forbidden', message: /^REFUSED: .*Nothing was written\.$/ });
  t.notOk(existsSync(out));
  const root = await emptyRoot(t);
  await t.rejects(flash(request(ca, { target: root }, { fetchCa: serving(impostor.pem) })), { code: 'Forbidden' });
  t.same(readdirSync(root), ['etc'], 'the root filesystem is as it was');
  t.same(readdirSync(join(root, 'etc')), []);
});

t.test('with --ca-file nothing is fetched, and the file is checked against the token', async (t) => {
  const ca = await hubCa(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ca.pem'), ca.pem);
  const calls: string[] = [];
  await flash(request(ca, { out: join(dir, 'bundle') }, { caFile: join(dir, 'ca.pem'), fetchCa: serving(ca.pem, calls) }));
  t.same(calls, []);
  t.equal(readFileSync(join(dir, 'bundle/files/etc/flotilla/ca.crt'), 'utf8').trim(), ca.pem.trim());
});

t.test('bad settings are refused before the hub is asked for anything', async (t) => {
  const ca = await hubCa(t);
  const dir = await tempDir(t);
  const calls: string[] = [];
  const refuse = async (more: Partial<FlashRequest>, destination: FlashDestination, expected: { code: string; message: RegExp }): Promise<void> => {
    await t.rejects(flash(request(ca, destination, { fetchCa: serving(ca.pem, calls), ...more })), expected);
  };
  const out = { out: join(dir, 'never') };
  await refuse({ token: 'flotilla1.nonsense' }, out, { code: 'Invalid', message: /join token/ });
  await refuse({ deviceName: 'Cam_7' }, out, { code: 'Invalid', message: /--name "Cam_7": a device name/ });
  await refuse({ labels: 'role' }, out, { code: 'Invalid', message: /"role" is not/ });
  await refuse({ profile: profile('industrial-pc-x86', { serviceManager: 'openrc' }) }, out, { code: 'Invalid', message: /uses openrc, and flash makes systemd services only/ });
  await writeFile(join(dir, 'not-node'), '#!/bin/sh\n');
  await refuse({ nodeBinary: join(dir, 'not-node') }, out, { code: 'Invalid', message: /--node-binary .* is not a Linux executable/ });
  await mkdir(join(dir, 'used'));
  await writeFile(join(dir, 'used', 'old.txt'), '');
  await refuse({}, { out: join(dir, 'used') }, { code: 'AlreadyExists', message: /--out .*used exists and is not an empty directory/ });
  await refuse({}, { target: join(dir, 'used') }, { code: 'Invalid', message: /does not look like a root filesystem: it has no etc\/ directory/ });
  t.same(calls, [], 'the hub was never asked');
  t.notOk(existsSync(join(dir, 'never')));
});

t.test('a profile whose Node.js comes with the bundle carries the binary given, or warns how to get one', async (t) => {
  const ca = await hubCa(t);
  const dir = await tempDir(t);
  const carried: FirmwareProfile = profile('generic-amd64');
  const without = await flash(request(ca, { out: join(dir, 'without') }, { profile: carried }));
  t.match(without.warnings, [/no --node-binary was given: put the official Node.js 20 \(or later\) binary for linux-x64 at \/opt\/flotilla\/node\/bin\/node/]);
  const withNode = await flash(request(ca, { out: join(dir, 'with') }, { profile: carried, nodeBinary: process.execPath }));
  t.same(withNode.warnings, []);
  const node = join(dir, 'with/files/opt/flotilla/node/bin/node');
  t.ok(readFileSync(node).equals(readFileSync(process.execPath)), 'the binary given');
  t.equal(lstatSync(node).mode & 0o777, 0o755);
});
