import t from 'tap';
import { connectDenial } from '../../../hub/broker/identity.js';

const none = () => false;

t.test('a device with its own certificate may connect as itself', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-7', 'cam-7', none), undefined);
});

t.test('a certificate for one device does not let a client in as another, nor as a non-device client', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-8', 'cam-7', none), 'the certificate is for device cam-7, not cam-8');
  t.equal(connectDenial('dashboard', 'cam-7', none), 'client dashboard is not a device client id; the certificate is for device cam-7');
});

t.test('no certificate, or the certificate of a removed device, is refused', async (t) => {
  t.equal(connectDenial('flotilla-agent-cam-7', undefined, none), 'client flotilla-agent-cam-7 presented no device certificate');
  t.equal(connectDenial('flotilla-agent-cam-7', 'cam-7', (d) => d === 'cam-7'), 'device cam-7 has been removed from the fleet');
});
