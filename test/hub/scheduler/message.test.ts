import t from 'tap';
import { Status } from '../../../hub/scheduler/framework.js';
import { rejectedMessage, unavailableMessage, type Rejection } from '../../../hub/scheduler/message.js';

const rejected = (device: string, plugin: string, status: Status): Rejection => ({ device, plugin, status });

t.test('counts devices by reason, fewest first, as Kubernetes words it', async (t) => {
  const selector = Status.unresolvable('labels do not match selector role=camera');
  const message = unavailableMessage(3, [
    rejected('a', 'device-selector', selector),
    rejected('b', 'device-ready', Status.unresolvable('device is NotReady')),
    rejected('c', 'device-selector', selector),
  ]);
  t.equal(message, '0/3 devices are available: 1 device is NotReady, 2 labels do not match selector role=camera.');
});

t.test('makes reasons about the device agree with the count', async (t) => {
  const rejections = ['a', 'b', 'c'].map((d) => rejected(d, 'device-ready', Status.unresolvable('device is Offline')));
  rejections.push(rejected('d', 'resources-fit', Status.unschedulable('device has not reported capacity yet')));
  rejections.push(rejected('e', 'resources-fit', Status.unschedulable('device has not reported capacity yet')));
  t.equal(unavailableMessage(5, rejections), '0/5 devices are available: 2 devices have not reported capacity yet, 3 devices are Offline.');
});

t.test('counts devices short of a resource together whatever the amounts', async (t) => {
  const short = (free: string) => Status.unschedulable({ reason: `insufficient cpu (requested 1, ${free} free of 2)`, summary: 'insufficient cpu' });
  t.equal(
    unavailableMessage(2, [rejected('a', 'resources-fit', short('500m')), rejected('b', 'resources-fit', short('200m'))]),
    '0/2 devices are available: 2 insufficient cpu.',
  );
});

t.test('counts each reason of a device that falls short in several ways', async (t) => {
  const both = Status.unschedulable({ reason: 'x', summary: 'insufficient cpu' }, { reason: 'y', summary: 'insufficient memory' });
  t.equal(unavailableMessage(1, [rejected('a', 'resources-fit', both)]), '0/1 devices are available: 1 insufficient cpu, 1 insufficient memory.');
});

t.test('orders counts by number, so 10 comes after 9', async (t) => {
  const rejections: Rejection[] = [];
  for (let i = 0; i < 10; i++) rejections.push(rejected(`a${i}`, 'device-ready', Status.unresolvable('device is Offline')));
  for (let i = 0; i < 9; i++) rejections.push(rejected(`b${i}`, 'device-ready', Status.unresolvable('device is NotReady')));
  t.equal(unavailableMessage(19, rejections), '0/19 devices are available: 9 devices are NotReady, 10 devices are Offline.');
});

t.test('names the plugin that broke', async (t) => {
  const rejections = ['a', 'b'].map((d) => rejected(d, 'gpu-fit', Status.error(new Error('driver gone'))));
  t.equal(unavailableMessage(2, rejections), '0/2 devices are available: 2 devices hit an error in plugin gpu-fit: driver gone.');
});

t.test('says so when no device has enrolled', async (t) => {
  t.equal(unavailableMessage(0, []), '0/0 devices are available: no device has enrolled yet.');
});

t.test('gives a pod refused before any device the plugin reason alone', async (t) => {
  const status = Status.unresolvable('deviceSelector "site in (a" is invalid at the end: "(" is never closed');
  t.equal(rejectedMessage(4, 'device-selector', status), '0/4 devices are available: deviceSelector "site in (a" is invalid at the end: "(" is never closed.');
});
