import t from 'tap';
import { deviceLine, eventLine, selectionLine, summaryLines, watchState, watchTable } from '../../../../hub/cli/format/fleet-watch.js';
import { fleetEvent, health, NOW, summary } from '../watch/fixtures.js';

t.test('the device table shows state, running of bound pods, CPU, memory and how long ago each was heard, by name', async (t) => {
  const text = watchTable([health('cam-2', 'Offline', {}, { usage: undefined as never }), health('cam-1', 'Ready')], NOW);
  const lines = text.trimEnd().split('\n');
  t.match(lines[0], /^NAME\s+STATE\s+PODS\s+CPU\s+MEM\s+LAST-SEEN$/);
  t.match(lines[1], /^cam-1\s+Ready\s+2\/2\s+23%\s+512Mi\/2Gi\s+4s$/);
  t.match(lines[2], /^cam-2\s+Offline\s+2\/2\s+<none>\s+<none>\s+4s$/);
});

t.test('the state names what else is wrong: a True condition, a cordon', async (t) => {
  const device = health('cam-1', 'Ready', {}, {
    cordoned: true,
    conditions: [
      { type: 'MemoryPressure', status: 'True' },
      { type: 'DiskPressure', status: 'False' },
    ],
  });
  t.equal(watchState(device), 'Ready,MemoryPressure,SchedulingDisabled');
});

t.test('the summary says devices by state, pods by phase, each group and each rollout not done', async (t) => {
  const lines = summaryLines(
    summary({
      rollouts: {
        byPhase: { Progressing: 1, Paused: 0, Complete: 3, Failed: 0, RolledBack: 0 },
        active: [{ kind: 'Deployment', namespace: 'default', name: 'web', revision: 3, phase: 'Progressing', wave: 2, waves: 4, target: 10, updated: 5, ready: 4, failed: 1, pending: 0 }],
        omitted: 2,
      },
    }),
  );
  t.same(lines, [
    'devices: 2 (1 Ready, 1 Offline)',
    'pods: 4 (1 Pending, 3 Running)',
    'by site: plant-3 1 Ready, 1 Offline',
    'rollout default/deployment.apps/web revision 3: Progressing, wave 2/4, 4/10 ready, 5 updated, 1 failed',
    '… and 2 more rollouts',
  ]);
  t.equal(summaryLines(summary({ devices: { total: 0, byState: { Ready: 0, NotReady: 0, Offline: 0 }, cordoned: 0 }, groups: {} }))[0], 'devices: 0 (none)');
});

t.test('the selection line counts the devices shown by state', async (t) => {
  t.equal(selectionLine([health('a', 'Ready'), health('b', 'Ready'), health('c', 'NotReady')]), 'selected: 3 (2 Ready, 1 NotReady)');
});

t.test('an event is one line: time, type, reason, object, message, and how often', async (t) => {
  const event = { ...fleetEvent('BackOff', { kind: 'Pod', name: 'web-1', namespace: 'default' }, 'cam-1'), message: 'back-off\nrestarting', count: 3 };
  t.equal(eventLine(event), '2026-03-01T10:00:00.000Z  Warning  BackOff  pod/web-1  back-off; restarting (x3)');
});

t.test('a device line is its table row', async (t) => {
  t.match(deviceLine(health('cam-1', 'NotReady'), NOW), /^cam-1\s+NotReady\s+2\/2\s+23%/);
});
