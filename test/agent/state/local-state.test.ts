import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalState } from '../../../agent/state/local-state.js';

const onDisk = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as unknown;

t.test('what was flushed is on disk once flushed() resolves, and a reopened state reads it back', async (t) => {
  const dir = t.testdir();
  const state = LocalState.open(dir);
  const bdSeq = state.nextBdSeq();
  state.updateContainer('uid-1/main', { restartCount: 2 });
  state.flush();
  await state.flushed();
  t.match(onDisk(dir), { bdSeq, containers: { 'uid-1/main': { restartCount: 2 } } });
  t.notOk(existsSync(join(dir, 'state.json.tmp')), 'no temporary file is left behind');
  t.same(LocalState.open(dir).document.containers, { 'uid-1/main': { restartCount: 2 } });
});

t.test('changes made while a write is on its way are written by the next one', async (t) => {
  const dir = t.testdir();
  const state = LocalState.open(dir);
  state.updateContainer('uid-1/main', { restartCount: 1 });
  state.flush();
  state.updateContainer('uid-2/main', { restartCount: 5 });
  state.flush();
  await state.flushed();
  t.match(onDisk(dir), { containers: { 'uid-1/main': { restartCount: 1 }, 'uid-2/main': { restartCount: 5 } } });
});

t.test('a write that fails is reported, keeps the previous file, and is tried again at the next flush', async (t) => {
  const dir = t.testdir();
  const failures: Error[] = [];
  const state = LocalState.open(dir, (error) => failures.push(error));
  state.updateContainer('uid-1/main', { restartCount: 1 });
  state.flush();
  await state.flushed();
  // A directory where the temporary file goes: the write fails whoever runs the test.
  mkdirSync(join(dir, 'state.json.tmp'));
  state.updateContainer('uid-1/main', { restartCount: 2 });
  state.flush();
  await state.flushed();
  t.equal(failures.length, 1);
  t.match(onDisk(dir), { containers: { 'uid-1/main': { restartCount: 1 } } }, 'the old document is intact');
  rmdirSync(join(dir, 'state.json.tmp'));
  state.flush();
  await state.flushed();
  t.match(onDisk(dir), { containers: { 'uid-1/main': { restartCount: 2 } } });
});

t.test('an unreadable file is treated as a first start', async (t) => {
  const dir = t.testdir({ 'state.json': '{not json' });
  t.same(LocalState.open(dir).document, { bdSeq: 0, containers: {} });
});
