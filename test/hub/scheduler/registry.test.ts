import t from 'tap';
import { Status } from '../../../hub/scheduler/framework.js';
import { inTreeRegistry, Registry } from '../../../hub/scheduler/registry.js';

const alwaysFits = (name: string) => () => ({ name, filter: () => Status.success() });

t.test('holds the built-in plugins', async (t) => {
  t.same(inTreeRegistry().names(), [
    'device-platform',
    'device-pressure',
    'device-ready',
    'device-selector',
    'label-spread',
    'least-allocated',
    'node-name',
    'pods-per-device',
    'resources-fit',
    'spread',
    'taint-toleration',
  ]);
});

t.test('refuses to register a second plugin under a name already taken', async (t) => {
  const registry = inTreeRegistry();
  t.throws(() => registry.register('spread', alwaysFits('spread')), { code: 'AlreadyExists', message: /"spread"/ });
});

t.test('refuses a merge that would replace a plugin, and adds none of the other plugins', async (t) => {
  const registry = inTreeRegistry();
  const outOfTree = new Registry();
  outOfTree.register('gpu-fit', alwaysFits('gpu-fit'));
  outOfTree.register('device-ready', alwaysFits('device-ready'));
  t.throws(() => registry.merge(outOfTree), { code: 'AlreadyExists', message: /device-ready/ });
  t.notOk(registry.has('gpu-fit'));
});

t.test('merges out-of-tree plugins into the in-tree ones', async (t) => {
  const registry = inTreeRegistry();
  const outOfTree = new Registry();
  outOfTree.register('gpu-fit', alwaysFits('gpu-fit'));
  registry.merge(outOfTree);
  t.equal(registry.create('gpu-fit').name, 'gpu-fit');
});

t.test('unregisters a plugin, and refuses to unregister one it does not have', async (t) => {
  const registry = inTreeRegistry();
  registry.unregister('spread');
  t.notOk(registry.has('spread'));
  t.throws(() => registry.unregister('spread'), { code: 'NotFound' });
});

t.test('names the registered plugins when asked for one it does not know', async (t) => {
  t.throws(
    () => inTreeRegistry().create('gpu-fit'),
    { code: 'NotFound', hint: /device-ready/ },
  );
});

t.test('passes arguments to the factory', async (t) => {
  const registry = new Registry();
  let received: unknown;
  registry.register('gpu-fit', (args) => {
    received = args;
    return { name: 'gpu-fit' };
  });
  registry.create('gpu-fit', { vendor: 'nvidia' });
  t.same(received, { vendor: 'nvidia' });
});

t.test('refuses a plugin that calls itself by another name than it was registered under', async (t) => {
  const registry = new Registry();
  registry.register('gpu-fit', alwaysFits('gpu'));
  t.throws(() => registry.create('gpu-fit'), { code: 'Internal' });
});

t.test('builds a new plugin instance each time', async (t) => {
  const registry = inTreeRegistry();
  t.not(registry.create('device-selector'), registry.create('device-selector'));
});
