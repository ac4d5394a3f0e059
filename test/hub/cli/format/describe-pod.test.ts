import t from 'tap';
import { describePod, schedulingLines } from '../../../../hub/cli/format/describe-pod.js';
import type { FlotillaEvent, Pod } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function unscheduledPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'plant-3', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u1', controller: true }] },
    spec: {
      deviceSelector: 'role=camera',
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          command: ['sh', '-c'],
          args: ['echo $GREETING; sleep 300'],
          env: [{ name: 'GREETING', value: 'hello' }],
          ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
          resources: { limits: { cpu: '500m', memory: '128Mi' } },
        },
      ],
    },
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 devices are available: 1 device is NotReady, 2 labels do not match selector role=camera.\n  cam-1: device is NotReady\n  gw-1: labels do not match selector role=camera\n  gw-2: labels do not match selector role=camera',
        },
      ],
    },
  };
}

function failedScheduling(): FlotillaEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.1', namespace: 'plant-3' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'plant-3' },
    type: 'Warning',
    reason: 'FailedScheduling',
    message: '0/3 devices are available',
    count: 4,
    firstTimestamp: '2026-01-01T11:50:00Z',
    lastTimestamp: '2026-01-01T11:59:00Z',
    source: 'scheduler',
  };
}

t.test("an unscheduled pod's description lists each device's reason on its own line", (t) => {
  const text = describePod(unscheduledPod(), [], now);
  const lines = text.split('\n');
  const at = lines.indexOf('Scheduling:');
  t.ok(at > 0, 'there is a Scheduling section');
  t.same(lines.slice(at + 1, at + 5), [
    '  0/3 devices are available: 1 device is NotReady, 2 labels do not match selector role=camera.',
    '    cam-1: device is NotReady',
    '    gw-1: labels do not match selector role=camera',
    '    gw-2: labels do not match selector role=camera',
  ]);
  t.end();
});

t.test('the description names the pod, its namespace, owner and containers with their settings', (t) => {
  const text = describePod(unscheduledPod(), [], now);
  t.match(text, /^Name: +web-1$/m);
  t.match(text, /^Namespace: +plant-3$/m);
  t.match(text, /^Device: +<none>$/m);
  t.match(text, /^Controlled By: +Deployment\/web$/m);
  t.match(text, /^Status: +Pending$/m);
  t.match(text, /^ {4}Image: +nginx:1\.27$/m);
  t.match(text, /^ {4}Command:\n {6}sh\n {6}-c$/m);
  t.match(text, /^ {4}Host Port: +8080\/TCP$/m);
  t.match(text, /^ {6}cpu: +500m$/m);
  t.match(text, /^ {6}GREETING: +hello$/m);
  t.match(text, /^ {4}Restart Count: +0$/m);
  t.end();
});

t.test('events print as a table with their age and repeat count', (t) => {
  const text = describePod(unscheduledPod(), [failedScheduling()], now);
  const lines = text.split('\n');
  const at = lines.indexOf('Events:');
  t.same(lines[at + 1]?.trim().split(/ {3,}/), ['Type', 'Reason', 'Age', 'From', 'Message']);
  t.same(lines[at + 3]?.trim().split(/ {3,}/), ['Warning', 'FailedScheduling', '60s (x4 over 10m)', 'scheduler', '0/3 devices are available']);
  t.end();
});

t.test('a pod without events says <none>', (t) => {
  t.match(describePod(unscheduledPod(), [], now), /^Events: +<none>$/m);
  t.end();
});

t.test('the scheduling message keeps the reasons of one device together', (t) => {
  t.same(schedulingLines('0/1 devices are available: 1 insufficient cpu.\n  cam-1: insufficient cpu (requested 2, 1 free of 4); too many pods'), [
    '0/1 devices are available: 1 insufficient cpu.',
    '  cam-1: insufficient cpu (requested 2, 1 free of 4); too many pods',
  ]);
  t.end();
});
