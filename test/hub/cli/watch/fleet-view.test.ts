import t from 'tap';
import { FleetView } from '../../../../hub/cli/watch/fleet-view.js';
import { Topics } from '../../../../shared/topics.js';
import { fleetEvent, health, json, summary } from './fixtures.js';

const topics = new Topics('acme');

t.test('keeps the last summary and each device, and passes events on', async (t) => {
  const view = new FleetView(topics);
  t.match(view.apply(topics.fleetSummary(), json(summary())), { kind: 'summary' });
  t.match(view.apply(topics.fleetDevice('cam-1'), json(health('cam-1', 'Ready'))), { kind: 'device', name: 'cam-1' });
  t.match(view.apply(topics.fleetDevice('cam-1'), json(health('cam-1', 'Offline'))), { kind: 'device', device: { state: 'Offline' } });
  t.equal(view.devices.get('cam-1')?.state, 'Offline', 'the newest document wins');
  t.match(view.apply(topics.fleetEvents(), json(fleetEvent('Offline', { kind: 'Device', name: 'cam-1' }))), { kind: 'event', event: { reason: 'Offline' } });
  t.equal(view.summary?.devices.total, 2);
});

t.test("an empty retained document is a device removed from the fleet", async (t) => {
  const view = new FleetView(topics);
  view.apply(topics.fleetDevice('cam-1'), json(health('cam-1', 'Ready')));
  t.same(view.apply(topics.fleetDevice('cam-1'), Buffer.alloc(0)), { kind: 'device-removed', name: 'cam-1' });
  t.equal(view.devices.size, 0);
  t.equal(view.apply(topics.fleetDevice('cam-1'), Buffer.alloc(0)), undefined, 'once');
});

t.test('skips what is not JSON, of another schema version, or on another topic', async (t) => {
  const view = new FleetView(topics);
  t.equal(view.apply(topics.fleetSummary(), Buffer.from('{not json')), undefined);
  t.equal(view.apply(topics.fleetDevice('cam-1'), json({ ...health('cam-1', 'Ready'), schema: 'flotilla.fleet.device/v2' })), undefined);
  t.equal(view.apply(topics.fleetEvents(), json(summary())), undefined, 'a summary on the events topic');
  t.equal(view.skipped, 3);
  t.equal(view.apply('flotilla/v1/fleet/summary', json(summary())), undefined, "another prefix's topic");
});

t.test('is complete once every device the summary counts has its document', async (t) => {
  const view = new FleetView(topics);
  t.notOk(view.complete(), 'not before the summary');
  view.apply(topics.fleetDevice('a'), json(health('a', 'Ready')));
  view.apply(topics.fleetSummary(), json(summary()));
  t.notOk(view.complete(), 'one of two devices');
  view.apply(topics.fleetDevice('b'), json(health('b', 'Offline')));
  t.ok(view.complete());
});
