import t from 'tap';
import { WatchScreen } from '../../../../hub/cli/commands/watch.js';
import { FleetView } from '../../../../hub/cli/watch/fleet-view.js';
import { parseSelector } from '../../../../shared/selector.js';
import { Topics } from '../../../../shared/topics.js';
import { fleetEvent, health, json, NOW, summary } from '../watch/fixtures.js';

const topics = new Topics();

function screen(selector?: string): WatchScreen {
  const view = new FleetView(topics);
  view.apply(topics.fleetSummary(), json(summary()));
  view.apply(topics.fleetDevice('cam-1'), json(health('cam-1', 'Ready', { site: 'plant-3', role: 'camera' })));
  view.apply(topics.fleetDevice('gw-1'), json(health('gw-1', 'Offline', { site: 'plant-3', role: 'gateway' })));
  return new WatchScreen(view, selector === undefined ? undefined : parseSelector(selector));
}

t.test('the snapshot is the summary, then the table of every device', async (t) => {
  const text = screen().snapshot(NOW);
  t.match(text, /^devices: 2 \(1 Ready, 1 Offline\)\npods: 4/);
  t.match(text, /\n\nNAME\s+STATE\s+PODS\s+CPU\s+MEM\s+LAST-SEEN\ncam-1\s+Ready.*\ngw-1\s+Offline/);
});

t.test('a selector keeps the devices whose labels match, and counts them under the summary', async (t) => {
  const text = screen('role=camera').snapshot(NOW);
  t.match(text, /selected: 1 \(1 Ready\) by role=camera/);
  t.match(text, /cam-1/);
  t.notMatch(text, /gw-1/);
  t.match(screen('role=printer').snapshot(NOW), /No devices found/);
});

t.test('with a selector, only events that happened on a selected device are shown', async (t) => {
  const shown = screen('role=camera');
  t.ok(shown.shows(fleetEvent('BackOff', { kind: 'Pod', name: 'web-1', namespace: 'default' }, 'cam-1')));
  t.notOk(shown.shows(fleetEvent('Offline', { kind: 'Device', name: 'gw-1' }, 'gw-1')));
  t.notOk(shown.shows(fleetEvent('RolloutFailed', { kind: 'Deployment', name: 'web', namespace: 'default' })), 'nor those on no device');
  t.ok(screen().shows(fleetEvent('RolloutFailed', { kind: 'Deployment', name: 'web', namespace: 'default' })), 'without one, all');
});

t.test('without a terminal every change is a line, and what the selector leaves out is not', async (t) => {
  const shown = screen('site=plant-3,role=gateway');
  t.match(shown.line({ kind: 'device', name: 'gw-1', device: health('gw-1', 'Ready', { site: 'plant-3', role: 'gateway' }) }, NOW), /^device: gw-1\s+Ready/);
  t.equal(shown.line({ kind: 'device', name: 'cam-1', device: health('cam-1', 'NotReady', { site: 'plant-3', role: 'camera' }) }, NOW), undefined);
  t.match(shown.line({ kind: 'event', event: fleetEvent('Offline', { kind: 'Device', name: 'gw-1' }, 'gw-1') }, NOW), /^event: \S+  Warning  Offline  device\/gw-1/);
  t.match(shown.line({ kind: 'summary', summary: summary() }, NOW), /^summary: devices: 2 \(1 Ready, 1 Offline\); pods: 4/);
  t.match(screen().line({ kind: 'device-removed', name: 'gw-1' }, NOW), /^device: gw-1 removed from the fleet/);
});

t.test('the terminal screen ends with the latest events, ten at most', async (t) => {
  const shown = screen();
  t.match(shown.screen(NOW), /\nEVENTS\n\(none yet\)\n$/);
  for (let i = 0; i < 12; i++) shown.remember(fleetEvent(`Reason${i}`, { kind: 'Device', name: 'cam-1' }, 'cam-1'));
  const events = shown.screen(NOW).split('\nEVENTS\n')[1]?.trimEnd().split('\n') ?? [];
  t.equal(events.length, 10);
  t.match(events[0], /Reason2/);
  t.match(events[9], /Reason11/);
});
