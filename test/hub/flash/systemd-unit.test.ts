import t from 'tap';
import { deviceLayout } from '../../../hub/flash/device-layout.js';
import { systemdUnit } from '../../../hub/flash/systemd-unit.js';
import { profile } from './fixtures.js';

/** `Key=value` lines of a unit, by key; a key given twice keeps both values. */
function directives(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) found.set(match[1] ?? '', [...(found.get(match[1] ?? '') ?? []), match[2] ?? '']);
  }
  return found;
}

t.test('the unit is always restarted, starts the launcher with the config file loaded, and is enabled for boot', async (t) => {
  const p = profile('raspberry-pi-4');
  const layout = deviceLayout(p);
  const unit = directives(systemdUnit(p, layout));
  t.same(unit.get('Restart'), ['always']);
  t.same(unit.get('StartLimitIntervalSec'), ['0'], 'systemd never gives up restarting it');
  t.same(unit.get('ExecStart'), ['/opt/flotilla/bin/flotilla-agent']);
  t.same(unit.get('EnvironmentFile'), ['/etc/flotilla/agent.env'], "the profile's config file");
  t.same(unit.get('WantedBy'), ['multi-user.target']);
});

t.test('the unit waits for the network and for the engine of its profile', async (t) => {
  const engines = { 'raspberry-pi-4': 'docker.service', 'industrial-pc-x86': 'podman.socket' };
  for (const [name, engineUnit] of Object.entries(engines)) {
    const p = profile(name);
    const after = directives(systemdUnit(p, deviceLayout(p))).get('After')?.[0] ?? '';
    t.same(after.split(' '), ['network-online.target', engineUnit], name);
  }
  const balena = profile('raspberry-pi-4', { runtime: 'balena-engine', runtimeEndpoint: '/var/run/balena-engine.sock' });
  t.match(systemdUnit(balena, deviceLayout(balena)), /^After=network-online.target balena-engine.service$/m);
});

t.test('the unit runs as root and says why, naming the engine socket', async (t) => {
  const p = profile('industrial-pc-x86');
  const unit = systemdUnit(p, deviceLayout(p));
  t.match(unit, /^User=root$/m);
  t.match(unit, /# Root, because access to \/run\/podman\/podman.sock is root/);
});

t.test('the unit follows a profile whose paths differ', async (t) => {
  const p = profile('raspberry-pi-4', { installDir: '/usr/local/flotilla', configFile: '/etc/default/flotilla-agent' });
  const unit = directives(systemdUnit(p, deviceLayout(p)));
  t.same(unit.get('ExecStart'), ['/usr/local/flotilla/bin/flotilla-agent']);
  t.same(unit.get('EnvironmentFile'), ['/etc/default/flotilla-agent']);
});
