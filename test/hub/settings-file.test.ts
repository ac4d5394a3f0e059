import t from 'tap';
import { hubSettings, readHubSettings } from '../../hub/settings-file.js';

t.test('an empty settings file leaves every setting at its default', async (t) => {
  const dir = t.testdir({ 'empty.yaml': '# nothing yet\n' });
  t.same(readHubSettings(`${dir}/empty.yaml`), {});
  t.same(hubSettings({ scheduler: null }, 'hub.yaml'), {});
});

t.test('reads the scheduler section of a JSON file as well as YAML', async (t) => {
  const dir = t.testdir({ 'hub.json': JSON.stringify({ scheduler: { pluginArgs: { 'pods-per-device': { defaultMaxPerDevice: 1 } } } }) });
  t.same(readHubSettings(`${dir}/hub.json`), { scheduler: { pluginArgs: { 'pods-per-device': { defaultMaxPerDevice: 1 } } } });
});

t.test('names the file and puts every problem under its path in the file', async (t) => {
  t.throws(() => hubSettings({ scheduler: { scores: [{ name: 'label-spread', weight: 1 }] } }, 'hub.yaml'), {
    code: 'Invalid',
    message: /^hub settings in hub\.yaml is invalid: /,
    details: [{ field: 'scheduler.pluginArgs.label-spread.topologyKey', message: /is required/ }],
  });
  t.throws(() => hubSettings({ scheduler: 'default' }, 'hub.yaml'), { message: /is invalid/, details: [{ field: 'scheduler', message: /must be an object/ }] });
  t.throws(() => hubSettings(['scheduler'], 'hub.yaml'), { message: /is invalid/, details: [{ field: '', message: /must be a mapping/ }] });
});
