import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FlotillaError } from '../../shared/errors.js';
import { listFirmwareProfiles, loadFirmwareProfile, profileProblems } from '../../agent/profile.js';
import { invalidError } from '../helpers/errors.js';

const valid = {
  $schema: './schema.json',
  name: 'test-board',
  description: 'A board for tests.',
  arch: 'arm',
  armVersion: 7,
  runtime: 'docker',
  runtimeEndpoint: '/var/run/docker.sock',
  stateDir: '/var/lib/flotilla',
  installDir: '/opt/flotilla',
  configFile: '/etc/flotilla/agent.env',
  serviceManager: 'systemd',
  node: { minimumVersion: '20', source: 'bundled', notes: 'The bundle carries Node.js.' },
  labels: { 'flotilla.io/board': 'test-board', 'flotilla.io/arch': 'arm' },
  reserved: { cpu: '250m', memory: '256Mi' },
  health: { memoryPressurePercent: 90, diskPressurePercent: 85, highTemperatureCelsius: 75 },
  heartbeatSeconds: 10,
};

function profilesDir(t: Test, files: Record<string, unknown>): string {
  const contents: Record<string, string> = {};
  for (const [file, body] of Object.entries(files)) contents[file] = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  return t.testdir(contents);
}

function thrown(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError) return error;
    throw error;
  }
  throw new Error('expected a FlotillaError');
}

t.test('loads a valid profile by name and leaves out the editor-only $schema', async (t) => {
  const dir = profilesDir(t, { 'test-board.json': valid, 'schema.json': {} });
  const profile = loadFirmwareProfile('test-board', dir);
  t.equal(profile.name, 'test-board');
  t.equal(profile.armVersion, 7);
  t.same(profile.reserved, { cpu: '250m', memory: '256Mi' });
  t.notOk('$schema' in profile);
});

t.test('loads a profile by a path ending in .json, wherever it is', async (t) => {
  const dir = profilesDir(t, { 'test-board.json': valid });
  const profile = loadFirmwareProfile(join(dir, 'test-board.json'), join(dir, 'elsewhere'));
  t.equal(profile.arch, 'arm');
  t.equal(profile.node.source, 'bundled');
});

t.test('refuses a broken profile, naming every problem by its field path', async (t) => {
  const broken = {
    ...valid,
    name: 'other-name',
    arch: 'x86',
    runtime: 'containerd',
    runtimeEndpoint: 'var/run/docker.sock',
    stateDir: 'state',
    serviceManager: 'sysvinit',
    node: { minimumVersion: '18', source: 'apt', extra: true },
    labels: { 'flotilla.io/arch': 'arm', 'bad key!': 'x', role: 'not ok value' },
    reserved: { cpu: 'lots', memory: '500m' },
    health: { memoryPressurePercent: 120, diskPressurePercent: '85', highTemperatureCelsius: 200 },
    heartbeatSeconds: 2.5,
    colour: 'blue',
  };
  const { description: _description, installDir: _installDir, ...withoutSome } = broken;
  const dir = profilesDir(t, { 'test-board.json': withoutSome, 'good-one.json': { ...valid, name: 'good-one' } });
  const error = invalidError(() => loadFirmwareProfile('test-board', dir));
  t.same(error.details.map((d) => d.field).sort(), [
    'arch',
    'colour',
    'description',
    'health.diskPressurePercent',
    'health.highTemperatureCelsius',
    'health.memoryPressurePercent',
    'heartbeatSeconds',
    'installDir',
    'labels["bad key!"]',
    'labels["flotilla.io/board"]',
    'labels["role"]',
    'name',
    'node.extra',
    'node.minimumVersion',
    'node.notes',
    'node.source',
    'reserved.cpu',
    'reserved.memory',
    'runtime',
    'runtimeEndpoint',
    'serviceManager',
    'stateDir',
  ].sort());
  t.match(error.message, /health\.highTemperatureCelsius: must be a number between 40 and 120/);
  t.match(error.message, /name: must equal the file name "test-board"/);
  t.match(error.hint, /good-one/);
});

t.test('asks for armVersion on 32-bit ARM and refuses it elsewhere', async (t) => {
  const { armVersion: _armVersion, ...noVersion } = valid;
  t.same(profileProblems(noVersion).map((d) => d.field), ['armVersion']);
  t.same(profileProblems({ ...valid, armVersion: 8 }).map((d) => d.field), ['armVersion']);
  const arm64 = { ...valid, arch: 'arm64', labels: { ...valid.labels, 'flotilla.io/arch': 'arm64' } };
  t.same(profileProblems(arm64).map((d) => d.message), ['is only for arch "arm"; remove it for arch "arm64"']);
});

t.test('refuses an arch label that disagrees with arch', async (t) => {
  const problems = profileProblems({ ...valid, labels: { ...valid.labels, 'flotilla.io/arch': 'arm64' } });
  t.same(problems, [{ field: 'labels["flotilla.io/arch"]', message: 'must equal arch "arm", got "arm64"' }]);
});

t.test('refuses an unknown name with a hint listing the available profiles', async (t) => {
  const dir = profilesDir(t, {
    'test-board.json': valid,
    'other-board.json': { ...valid, name: 'other-board' },
    'schema.json': {},
  });
  const error = thrown(() => loadFirmwareProfile('raspberry-pi-9', dir));
  t.equal(error.code, 'NotFound');
  t.match(error.message, /no firmware profile named "raspberry-pi-9"/);
  t.equal(error.hint, 'available firmware profiles: other-board, test-board; or give a path to a profile file ending in .json');
});

t.test('refuses a name that is not a DNS label rather than reading outside the directory', async (t) => {
  const dir = profilesDir(t, { 'test-board.json': valid });
  const error = invalidError(() => loadFirmwareProfile('../test-board', dir));
  t.same(error.details.map((d) => d.field), ['profile']);
});

t.test('refuses a file that is not JSON, saying so', async (t) => {
  const dir = profilesDir(t, { 'test-board.json': '{ "name": "test-board", ' });
  const error = invalidError(() => loadFirmwareProfile('test-board', dir));
  t.match(error.message, /is not valid JSON/);
});

t.test('refuses a path to a file that does not exist', async (t) => {
  const dir = profilesDir(t, {});
  t.equal(thrown(() => loadFirmwareProfile(join(dir, 'missing.json'), dir)).code, 'NotFound');
});

t.test('lists profiles by name, sorted, without the schema', async (t) => {
  const dir = profilesDir(t, { 'b.json': valid, 'a.json': valid, 'schema.json': {}, 'README.md': '' });
  t.same(listFirmwareProfiles(dir), ['a', 'b']);
  t.same(listFirmwareProfiles(join(dir, 'missing')), []);
});

t.test('finds the repository profiles without being told where they are', async (t) => {
  t.ok(listFirmwareProfiles().includes('raspberry-pi-4'));
  t.equal(loadFirmwareProfile('raspberry-pi-4').arch, 'arm64');
});
