import t from 'tap';
import { Status } from '../../../hub/scheduler/framework.js';
import { counted, rejectedMessage, unavailableMessage, type Rejection } from '../../../hub/scheduler/message.js';

const rejected = (device: string, plugin: string, status: Status): Rejection => ({ device, plugin, status });

function many(count: number, prefix: string, plugin: string, status: Status): Rejection[] {
  return Array.from({ length: count }, (_, i) => rejected(`${prefix}-${i}`, plugin, status));
}

t.test('says why 40 devices refused a pod in one line, counts grouped by reason, most first', async (t) => {
  const rejections = [
    ...many(5, 'small', 'resources-fit', Status.unschedulable({ reason: 'insufficient memory (requested 1Gi, 200Mi free of 2Gi)', summary: 'device has too little memory' })),
    ...many(10, 'down', 'device-ready', Status.unresolvable('device is NotReady')),
    ...many(25, 'gw', 'device-selector', Status.unresolvable('device does not match role=camera')),
  ];
  t.equal(
    unavailableMessage(40, rejections),
    '0/40 devices are available: 25 do not match role=camera, 10 are NotReady, 5 have too little memory.',
  );
});

t.test('puts the verb in the singular for one device', async (t) => {
  const message = unavailableMessage(3, [
    rejected('a', 'device-selector', Status.unresolvable('device does not match role=camera')),
    rejected('b', 'device-ready', Status.unresolvable('device is NotReady')),
    rejected('c', 'resources-fit', Status.unschedulable('device has not reported capacity yet')),
  ]);
  t.equal(message, '0/3 devices are available: 1 does not match role=camera, 1 has not reported capacity yet, 1 is NotReady.');
});

t.test('orders equal counts by their wording, so the line is the same every time', async (t) => {
  const first = unavailableMessage(4, [
    ...many(2, 'off', 'device-ready', Status.unresolvable('device is Offline')),
    ...many(2, 'cordoned', 'device-ready', Status.unresolvable('device is cordoned')),
  ]);
  t.equal(first, '0/4 devices are available: 2 are Offline, 2 are cordoned.');
});

t.test('orders counts by number, so 10 comes before 9', async (t) => {
  const rejections = [...many(9, 'b', 'device-ready', Status.unresolvable('device is NotReady')), ...many(10, 'a', 'device-ready', Status.unresolvable('device is Offline'))];
  t.equal(unavailableMessage(19, rejections), '0/19 devices are available: 10 are Offline, 9 are NotReady.');
});

t.test('counts devices short of a resource together whatever the amounts', async (t) => {
  const short = (free: string) =>
    Status.unschedulable({ reason: `insufficient cpu (requested 1, ${free} free of 2)`, summary: 'device has too little cpu' });
  t.equal(
    unavailableMessage(2, [rejected('a', 'resources-fit', short('500m')), rejected('b', 'resources-fit', short('200m'))]),
    '0/2 devices are available: 2 have too little cpu.',
  );
});

t.test('counts each reason of a device that falls short in several ways', async (t) => {
  const both = Status.unschedulable(
    { reason: 'x', summary: 'device has too little cpu' },
    { reason: 'y', summary: 'device has too little memory' },
  );
  t.equal(unavailableMessage(1, [rejected('a', 'resources-fit', both)]), '0/1 devices are available: 1 has too little cpu, 1 has too little memory.');
});

t.test('prints a summary that is not about the device after its count as it is', async (t) => {
  t.equal(unavailableMessage(2, many(2, 'x', 'gpu-fit', Status.unresolvable('insufficient gpu'))), '0/2 devices are available: 2 insufficient gpu.');
});

t.test('agrees is, has, does and was with the count, and leaves other verbs alone', async (t) => {
  t.equal(counted(3, 'device is cordoned'), '3 are cordoned');
  t.equal(counted(3, 'device has the taint a=b:NoSchedule'), '3 have the taint a=b:NoSchedule');
  t.equal(counted(3, 'device does not match role=camera'), '3 do not match role=camera');
  t.equal(counted(3, 'device was removed'), '3 were removed');
  t.equal(counted(3, 'device hit an error'), '3 hit an error');
  t.equal(counted(1, 'device does not match role=camera'), '1 does not match role=camera');
  t.equal(counted(3, 'device isolated'), '3 isolated', 'only whole words are verbs');
});

t.test('names the plugin that broke', async (t) => {
  t.equal(
    unavailableMessage(2, many(2, 'a', 'gpu-fit', Status.error(new Error('driver gone')))),
    '0/2 devices are available: 2 hit an error in plugin gpu-fit: driver gone.',
  );
});

t.test('says so when no device has enrolled', async (t) => {
  t.equal(unavailableMessage(0, []), '0/0 devices are available: no device has enrolled yet.');
});

t.test('gives a pod refused before any device the plugin reason alone', async (t) => {
  const status = Status.unresolvable('deviceSelector "site in (a" is invalid at the end: "(" is never closed');
  t.equal(rejectedMessage(4, 'device-selector', status), '0/4 devices are available: deviceSelector "site in (a" is invalid at the end: "(" is never closed.');
});
