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
