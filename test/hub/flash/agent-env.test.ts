import t from 'tap';
import { defaultAgentOptions } from '../../../agent/config.js';
import { profileDefaults } from '../../../agent/profile.js';
import { resolveAgentOptions } from '../../../hub/cli/options/agent-options.js';
import { agentEnvironment, parseAgentEnvironment } from '../../../hub/flash/agent-env.js';
import { deviceLayout } from '../../../hub/flash/device-layout.js';
import { hubCa, profile } from './fixtures.js';

t.test('the config file names the profile file beside it, the token, the CA and the state directory', async (t) => {
  const { token } = await hubCa(t);
  const p = profile('raspberry-pi-4');
  const env = parseAgentEnvironment(agentEnvironment({ profile: p.name, token }, deviceLayout(p)));
  t.same(env, {
    FLOTILLA_PROFILE: '/etc/flotilla/raspberry-pi-4.json',
    FLOTILLA_JOIN_TOKEN: token,
    FLOTILLA_CA_FILE: '/etc/flotilla/ca.crt',
    FLOTILLA_STATE_DIR: '/var/lib/flotilla',
  });
});

t.test('labels and a device name are written only when given', async (t) => {
  const { token } = await hubCa(t);
  const p = profile();
  const env = parseAgentEnvironment(agentEnvironment({ profile: p.name, token, labels: 'role=camera,site=a', deviceName: 'cam-7' }, deviceLayout(p)));
  t.equal(env['FLOTILLA_LABELS'], 'role=camera,site=a');
  t.equal(env['FLOTILLA_DEVICE_NAME'], 'cam-7');
});

t.test('the agent reads every setting of the config file as flash meant it', async (t) => {
  const { token } = await hubCa(t);
  const p = profile();
  const layout = deviceLayout(p);
  const env = parseAgentEnvironment(agentEnvironment({ profile: p.name, token, labels: 'role=camera', deviceName: 'cam-7' }, layout));
  const options = resolveAgentOptions({}, profileDefaults(p, defaultAgentOptions), env, 'some-host');
  t.match(options, { name: 'cam-7', stateDir: '/var/lib/flotilla', token, caFile: '/etc/flotilla/ca.crt' });
  t.match(options.labels, { role: 'camera' });
});

t.test('a value that would need quoting is refused, naming the variable', async (t) => {
  const p = profile();
  t.throws(() => agentEnvironment({ profile: p.name, token: 'flotilla1.a b.c' }, deviceLayout(p)), {
    code: 'Invalid',
    message: /FLOTILLA_JOIN_TOKEN .*spaces, quotes/,
  });
});
