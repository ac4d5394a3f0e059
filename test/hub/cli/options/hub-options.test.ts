import t from 'tap';
import { defaultHubOptions } from '../../../../hub/config.js';
import { resolveHubOptions } from '../../../../hub/cli/options/hub-options.js';

t.test('with no flags and no environment the hub runs on its defaults', (t) => {
  t.same(resolveHubOptions({}, {}), defaultHubOptions);
  t.end();
});

t.test('flags win over environment variables, which win over defaults', (t) => {
  const options = resolveHubOptions({ port: '8081' }, { FLOTILLA_PORT: '9090', FLOTILLA_MQTT_PORT: '2883', FLOTILLA_DATA_DIR: '/srv/hub' });
  t.equal(options.httpPort, 8081);
  t.equal(options.mqttPort, 2883);
  t.equal(options.dataDir, '/srv/hub');
  t.end();
});

t.test('an external broker URL replaces the embedded one', (t) => {
  t.equal(resolveHubOptions({ mqttUrl: 'mqtts://broker.example.com:8883' }, {}).mqttUrl, 'mqtts://broker.example.com:8883');
  t.equal(resolveHubOptions({}, {}).mqttUrl, undefined);
  t.end();
});

t.test('a port that is not a number is a usage error naming the flag and where it came from', (t) => {
  t.throws(() => resolveHubOptions({ port: 'http' }, {}), { message: 'invalid --port "http": must be a port number from 1 to 65535', exitCode: 2 });
  t.throws(() => resolveHubOptions({}, { FLOTILLA_MQTT_PORT: '70000' }), { message: /^invalid --mqtt-port "70000" \(from FLOTILLA_MQTT_PORT\)/, exitCode: 2 });
  t.end();
});

t.test('bad durations, log levels, broker URLs and topic prefixes are refused', (t) => {
  t.throws(() => resolveHubOptions({ notReadyAfter: '0' }, {}), { message: /--not-ready-after/ });
  t.throws(() => resolveHubOptions({ logLevel: 'loud' }, {}), { message: /--log-level "loud".*info/ });
  t.throws(() => resolveHubOptions({ mqttUrl: 'http://broker' }, {}), { message: /--mqtt-url "http:\/\/broker".*mqtt:\/\// });
  t.throws(() => resolveHubOptions({ topicPrefix: 'a/#' }, {}), { message: /--topic-prefix/ });
  t.throws(() => resolveHubOptions({ notReadyAfter: '60', offlineAfter: '30' }, {}), { message: /--offline-after/ });
  t.end();
});

t.test('devices connect over TLS on 8883 unless told otherwise, and plain MQTT only when asked', (t) => {
  t.equal(resolveHubOptions({}, {}).mqttTlsPort, 8883);
  t.equal(resolveHubOptions({}, {}).plainMqtt, false);
  t.equal(resolveHubOptions({ plainMqtt: true }, {}).plainMqtt, true);
  t.equal(resolveHubOptions({}, { FLOTILLA_PLAIN_MQTT: '1' }).plainMqtt, true);
  t.equal(resolveHubOptions({ mqttTlsPort: '9883' }, {}).mqttTlsPort, 9883);
  t.equal(resolveHubOptions({}, { FLOTILLA_MQTT_TLS_PORT: '8884' }).mqttTlsPort, 8884);
  t.throws(() => resolveHubOptions({ mqttTlsPort: 'tls' }, {}), { message: /^invalid --mqtt-tls-port "tls"/ });
  t.end();
});

t.test('the advertised API address must be https with no path, and the secrets key may live elsewhere', (t) => {
  t.equal(resolveHubOptions({ advertiseUrl: 'https://hub.example:7080/' }, {}).advertiseUrl, 'https://hub.example:7080');
  t.throws(() => resolveHubOptions({ advertiseUrl: 'http://hub.example:7080' }, {}), { message: /^invalid --advertise-url .*must be https/ });
  t.throws(() => resolveHubOptions({}, { FLOTILLA_ADVERTISE_URL: 'hub' }), { message: /"hub" \(from FLOTILLA_ADVERTISE_URL\): not a URL/ });
  t.equal(resolveHubOptions({}, { FLOTILLA_SECRETS_KEY_FILE: '/run/keys/flotilla' }).secretsKeyFile, '/run/keys/flotilla');
  t.end();
});

t.test("a settings file given with --config or FLOTILLA_HUB_CONFIG sets the scheduler's plugins", async (t) => {
  const dir = t.testdir({
    'hub.yaml': 'scheduler:\n  scores:\n    - {name: label-spread, weight: 2}\n  pluginArgs:\n    label-spread: {topologyKey: site}\n',
  });
  const expected = { scores: [{ name: 'label-spread', weight: 2 }], pluginArgs: { 'label-spread': { topologyKey: 'site' } } };
  t.same(resolveHubOptions({ config: `${dir}/hub.yaml` }, {}).scheduler, expected);
  t.same(resolveHubOptions({}, { FLOTILLA_HUB_CONFIG: `${dir}/hub.yaml` }).scheduler, expected);
  t.equal(resolveHubOptions({}, {}).scheduler, undefined, 'none given: the defaults');
});

t.test('a bad setting in the file is a usage error naming each setting at fault, one per line', async (t) => {
  const dir = t.testdir({
    'hub.yaml': 'scheduler:\n  filters: [node-name, gpu-fit]\n  scores:\n    - {name: spread, weight: -1}\nbroker: {}\n',
  });
  let message = '';
  t.throws(() => {
    try {
      resolveHubOptions({ config: `${dir}/hub.yaml` }, {});
    } catch (error) {
      message = (error as Error).message;
      throw error;
    }
  }, { message: /^invalid settings in /, exitCode: 2 });
  const lines = message.split('\n');
  t.equal(lines[0], `invalid settings in ${dir}/hub.yaml:`);
  t.match(lines[1], /^ {2}broker: is not a section of the hub settings file, which has scheduler.*; other settings are flags \(flotilla hub --help\)$/);
  t.match(lines[2], /^ {2}scheduler\.filters\[1\]: no scheduler plugin is named "gpu-fit"; registered: device-platform, .*taint-toleration$/);
  t.equal(lines[3], '  scheduler.scores[0].weight: must be a positive number');
  t.equal(lines.length, 4);
});

t.test('a settings file that is missing or not YAML is a usage error saying so', async (t) => {
  const dir = t.testdir({ 'broken.yaml': 'scheduler: [a\n' });
  t.throws(() => resolveHubOptions({ config: `${dir}/missing.yaml` }, {}), { exitCode: 2, message: /^invalid --config: cannot read the hub settings file .*missing\.yaml: ENOENT/ });
  t.throws(() => resolveHubOptions({}, { FLOTILLA_HUB_CONFIG: `${dir}/broken.yaml` }), {
    exitCode: 2,
    message: /^invalid --config \(from FLOTILLA_HUB_CONFIG\): the hub settings file .*broken\.yaml is not valid YAML/,
  });
});

t.test('the fleet summary groups devices by the label keys --fleet-groups names, checked as label keys', (t) => {
  t.same(resolveHubOptions({ fleetGroups: 'site, region,site' }, {}).fleetGroupLabels, ['site', 'region']);
  t.same(resolveHubOptions({}, { FLOTILLA_FLEET_GROUPS: 'example.com/zone' }).fleetGroupLabels, ['example.com/zone']);
  t.equal(resolveHubOptions({}, {}).fleetGroupLabels, undefined, 'absent: the hub counts by site');
  t.throws(() => resolveHubOptions({ fleetGroups: 'bad key' }, {}), { message: /^invalid --fleet-groups "bad key": label key "bad key"/, exitCode: 2 });
  t.throws(() => resolveHubOptions({ fleetGroups: ' , ' }, {}), { message: /must name at least one label key/, exitCode: 2 });
  t.end();
});
