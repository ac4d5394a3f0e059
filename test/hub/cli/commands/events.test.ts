import t from 'tap';
import { eventFilter, eventObject, matchesFilter } from '../../../../hub/cli/commands/events.js';
import { formatObjects } from '../../../../hub/cli/format/output.js';
import { fleetEvent, NOW } from '../watch/fixtures.js';

t.test('--for kind/name picks one object, with the kinds get takes, and needs both halves', async (t) => {
  t.same(eventFilter({ for: 'po/web-1' }, 'shop'), { namespace: 'shop', kind: 'Pod', name: 'web-1' });
  t.same(eventFilter({ for: 'device/cam-7', allNamespaces: true }, 'default'), { namespace: undefined, kind: 'Device', name: 'cam-7' });
  t.same(eventFilter({}, 'default'), { namespace: 'default' });
  for (const bad of ['web-1', 'pod/', '/web-1']) t.throws(() => eventFilter({ for: bad }, 'default'), { message: `invalid --for "${bad}": write kind/name`, exitCode: 2 }, bad);
  t.throws(() => eventFilter({ for: 'gizmo/x' }, 'default'), { message: 'unknown resource type "gizmo"' });
});

t.test("a fleet event matches by namespace (a device's events are in default), kind and name", async (t) => {
  const device = fleetEvent('Offline', { kind: 'Device', name: 'cam-7' }, 'cam-7');
  const pod = fleetEvent('BackOff', { kind: 'Pod', name: 'web-1', namespace: 'shop' }, 'cam-7');
  t.ok(matchesFilter(device, { namespace: 'default' }));
  t.notOk(matchesFilter(device, { namespace: 'shop' }));
  t.ok(matchesFilter(pod, { namespace: 'shop' }));
  t.ok(matchesFilter(pod, { namespace: undefined }), 'all namespaces');
  t.ok(matchesFilter(pod, { namespace: 'shop', kind: 'Pod', name: 'web-1' }));
  t.notOk(matchesFilter(pod, { namespace: 'shop', kind: 'Pod', name: 'web-2' }));
  t.notOk(matchesFilter(device, { namespace: undefined, kind: 'Pod', name: 'cam-7' }));
});

t.test('a fleet event prints as the API event it is, in the same table', async (t) => {
  const streamed = eventObject({ ...fleetEvent('BackOff', { kind: 'Pod', name: 'web-1', namespace: 'shop' }, 'cam-7'), count: 2, firstTime: new Date(NOW - 60_000).toISOString() });
  t.match(streamed, {
    kind: 'Event',
    metadata: { name: 'web-1.abc', namespace: 'shop' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
    reason: 'BackOff',
    count: 2,
    lastTimestamp: new Date(NOW).toISOString(),
  });
  const table = formatObjects('Event', [streamed], 'table', { allNamespaces: false, now: NOW + 5_000 });
  t.match(table, /^LAST-SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n5s\s+Warning\s+BackOff\s+pod\/web-1\s+BackOff happened\n$/);
  t.equal(eventObject(fleetEvent('Offline', { kind: 'Device', name: 'cam-7' })).metadata.namespace, 'default');
});
