import t from 'tap';
import { describeSecret } from '../../../../hub/cli/format/describe-secret.js';
import type { FlotillaEvent, Secret } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function secret(data: Record<string, string> | undefined, type?: string): Secret {
  const object: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'plant-3', labels: { tier: 'data' } } };
  if (data !== undefined) object.data = data;
  if (type !== undefined) object.type = type;
  return object;
}

t.test('shows the type and each key, sorted, as the hub sends them (values withheld)', async (t) => {
  const text = describeSecret(secret({ user: '', password: '' }, 'Opaque'), [], now);
  t.equal(
    text,
    [
      'Name:         db',
      'Namespace:    plant-3',
      'Labels:       tier=data',
      'Annotations:  <none>',
      'Type:         Opaque',
      'Data (values are never shown):',
      '  password',
      '  user',
      'Events:  <none>',
      '',
    ].join('\n'),
  );
});

t.test('shows the size of a value it carries, never the value', async (t) => {
  const text = describeSecret(secret({ password: Buffer.from('s3cr3t').toString('base64'), pin: Buffer.from('7').toString('base64') }), [], now);
  t.match(text, /password:\s+6 bytes/);
  t.match(text, /pin:\s+1 byte\n/);
  t.notMatch(text, /s3cr3t/);
  t.notMatch(text, /czNjcjN0/, 'nor its base64');
  t.match(text, /Type:\s+Opaque/, 'a Secret without a type is Opaque');
});

t.test('says there is no data when the Secret holds no keys, and lists its events', async (t) => {
  const event: FlotillaEvent = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'plant-3' },
    involvedObject: { kind: 'Secret', name: 'db', namespace: 'plant-3' },
    type: 'Normal',
    reason: 'Rotated',
    message: 'new values',
    count: 1,
    firstTimestamp: '2026-01-01T11:59:00Z',
    lastTimestamp: '2026-01-01T11:59:00Z',
    source: 'test',
  };
  const text = describeSecret(secret(undefined, 'kubernetes.io/tls'), [event], now);
  t.match(text, /Type:\s+kubernetes\.io\/tls\n/);
  t.match(text, /Data:\s+<none>/);
  t.match(text, /Normal\s+Rotated\s+60s\s+test\s+new values/);
});
