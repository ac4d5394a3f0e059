import t from 'tap';
import { parse } from 'yaml';
import { formatGroups, groupDevices } from '../../../../hub/cli/format/groups.js';
import type { Device, DeviceState, Pod, PodPhase } from '../../../../shared/objects.js';

function device(name: string, labels: Record<string, string>, state?: DeviceState, cordoned = false): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels },
    ...(cordoned ? { spec: { unschedulable: true } } : {}),
    ...(state === undefined ? {} : { status: { state } }),
  };
}

function pod(name: string, nodeName: string | undefined, phase: PodPhase = 'Running'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...(nodeName === undefined ? {} : { nodeName }) },
    status: { phase },
  };
}

const fleet = [
  device('a-1', { site: 'plant-10' }, 'Ready'),
  device('a-2', { site: 'plant-10' }, 'NotReady', true),
  device('b-1', { site: 'plant-9' }, 'Offline'),
  device('b-2', { site: 'plant-9' }, 'Ready'),
  device('b-3', { site: 'plant-9' }),
  device('lab', {}, 'Ready'),
];
const pods = [pod('web-1', 'a-1'), pod('web-2', 'a-1'), pod('job', 'a-2', 'Succeeded'), pod('web-3', 'b-2'), pod('pending', undefined), pod('solo', 'lab')];

t.test('makes one group per value with its devices, their health and their running pods, numbers in order and <none> last', async (t) => {
  t.equal(
    formatGroups(groupDevices('site', fleet, pods), 'table'),
    [
      'VALUE      DEVICES   READY   NOT-READY   OFFLINE   PODS',
      'plant-9    3         1       0           1         1',
      'plant-10   2         1       1           0         2',
      '<none>     1         1       0           0         1',
      '',
    ].join('\n'),
  );
});

t.test('counts a device that has not connected yet among the devices only', async (t) => {
  const [nine] = groupDevices('site', fleet, pods);
  t.match(nine, { value: 'plant-9', devices: 3, ready: 1, notReady: 0, offline: 1, deviceNames: ['b-1', 'b-2', 'b-3'] });
});

t.test('shows cordoned devices in the wide table', async (t) => {
  const wide = formatGroups(groupDevices('site', fleet, pods), 'wide').split('\n');
  t.same(wide[0]?.split(/ {3,}/), ['VALUE', 'DEVICES', 'READY', 'NOT-READY', 'OFFLINE', 'PODS', 'CORDONED']);
  t.same(wide[2]?.split(/ +/), ['plant-10', '2', '1', '1', '0', '2', '1']);
});

t.test('gives json and yaml as a List of DeviceGroups, the devices without the label with a null value', async (t) => {
  const json = JSON.parse(formatGroups(groupDevices('site', fleet, pods), 'json'));
  t.equal(json.kind, 'List');
  t.same(json.items[2], { kind: 'DeviceGroup', label: 'site', value: null, devices: 1, ready: 1, notReady: 0, offline: 0, cordoned: 0, pods: 1, deviceNames: ['lab'] });
  t.same(parse(formatGroups(groupDevices('site', fleet, pods), 'yaml')), json);
});

t.test('names each group by the selector that picks its devices', async (t) => {
  t.equal(formatGroups(groupDevices('site', fleet, pods), 'name'), 'site=plant-9\nsite=plant-10\n!site\n');
});
