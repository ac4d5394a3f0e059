import t from 'tap';
import { connectDenial } from '../../../hub/broker/identity.js';

const FINGERPRINT = `sha256:${'a'.repeat(64)}`;
const enrolled = (device: string) => (device === 'cam-7' ? FINGERPRINT : undefined);
const cam7 = { device: 'cam-7', fingerprint: FINGERPRINT };

t.test('a device with the certificate it enrolled with may connect as itself', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-7', cam7, enrolled), undefined);
});

t.test('a certificate for one device does not let a client in as another, nor as a non-device client', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-8', cam7, enrolled), 'the certificate is for device cam-7, not cam-8');
  t.equal(connectDenial('dashboard', cam7, enrolled), 'client dashboard is not a device client id; the certificate is for device cam-7');
});

t.test('no certificate, a device not enrolled, or a certificate replaced since, is refused', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-7', undefined, enrolled), 'client flotilla-agent-cam-7 presented no device certificate');
  t.match(connectDenial('flotilla-agent-cam-9', { device: 'cam-9', fingerprint: FINGERPRINT }, enrolled), /device cam-9 is not enrolled/);
  t.match(connectDenial('flotilla-agent-cam-7', { device: 'cam-7', fingerprint: `sha256:${'b'.repeat(64)}` }, enrolled), /enrolled again/);
});
