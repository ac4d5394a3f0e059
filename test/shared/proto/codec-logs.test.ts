import t from 'tap';
import { decode, encode } from '../../../shared/proto/codec.js';

t.test('a log request round-trips, a whole log asked for with tail -1', async (t) => {
  const request = {
    id: 'a1b2',
    action: 'start' as const,
    namespace: 'plant-3',
    podName: 'cam',
    podUid: 'uid-1',
    container: 'main',
    tailLines: -1,
    sinceSeconds: 300,
    follow: true,
    timestamps: true,
    leaseSeconds: 30,
  };
  t.same(decode('LogRequest', encode('LogRequest', request)), request);
});

t.test('a renew carries only its action and lease; the rest decodes as defaults', async (t) => {
  const renew = decode('LogRequest', encode('LogRequest', { action: 'renew', leaseSeconds: 30 }));
  t.equal(renew.action, 'renew');
  t.equal(renew.podUid, '');
  t.equal(renew.tailLines, 0);
  t.equal(renew.follow, false);
});

t.test("a log chunk keeps the log's bytes exactly, UTF-8 split mid-character included", async (t) => {
  const text = Buffer.from('température 21 °C\n');
  const first = decode('LogChunk', encode('LogChunk', { sequence: 7, data: text.subarray(0, 3) }));
  const second = decode('LogChunk', encode('LogChunk', { sequence: 8, data: text.subarray(3) }));
  t.equal(first.sequence, 7);
  t.equal(Buffer.concat([first.data, second.data]).toString('utf8'), 'température 21 °C\n');
  t.equal(first.done, false);
});

t.test('a last chunk says why the log ended, and what to do', async (t) => {
  const last = decode('LogChunk', encode('LogChunk', { sequence: 2, done: true, errorCode: 'NotFound', error: 'no container', hint: 'describe the pod' }));
  t.match(last, { sequence: 2, done: true, errorCode: 'NotFound', error: 'no container', hint: 'describe the pod' });
  t.equal(last.data.length, 0);
});
