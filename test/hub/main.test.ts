import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { openAuthority } from '../../hub/auth/authority.js';
import { defaultHubOptions } from '../../hub/config.js';
import { startHub } from '../../hub/main.js';
import { certificateFingerprint, createDeviceRequest } from '../../shared/pki.js';
import { agentClientId } from '../../shared/topics.js';

t.test('a hub with a device listener makes its CA once, names its fingerprint and lets in a device it certified', async (t) => {
  const dataDir = t.testdir();
  const options = { ...defaultHubOptions, dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, mqttTlsPort: 0, logLevel: 'silent' };
  const hub = await startHub(options);
  t.teardown(() => hub.stop());
  const caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  t.equal(hub.caFingerprint, certificateFingerprint(caPem));
  t.match(hub.mqttTlsUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);

  const authority = await openAuthority(join(dataDir, 'pki'));
  const { requestPem, keyPem } = await createDeviceRequest('cam-7');
  const device = await mqtt.connectAsync(hub.mqttTlsUrl ?? '', {
    clientId: agentClientId('cam-7'),
    ca: caPem,
    cert: await authority.signDeviceRequest(requestPem, 'cam-7'),
    key: keyPem,
    servername: 'localhost',
    reconnectPeriod: 0,
  });
  t.ok(device.connected);
  await device.endAsync();
});
