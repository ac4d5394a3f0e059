import t from 'tap';
import { describeTaint, tolerates, toleratedSeconds, UNREACHABLE_TAINT, type Taint } from '../../../../hub/controllers/eviction/taints.js';
import type { Toleration } from '../../../../shared/objects.js';

const dedicated: Taint = { key: 'dedicated', value: 'cameras', effect: 'NoSchedule' };

t.test('a toleration matches a taint by key, value and effect, with Equal as the default operator', async (t) => {
  t.ok(tolerates({ key: 'dedicated', value: 'cameras' }, dedicated), 'Equal by default, any effect when none is given');
  t.ok(tolerates({ key: 'dedicated', operator: 'Equal', value: 'cameras', effect: 'NoSchedule' }, dedicated));
  t.notOk(tolerates({ key: 'dedicated', value: 'gateways' }, dedicated), 'another value');
  t.notOk(tolerates({ key: 'dedicated' }, dedicated), 'Equal with no value matches only a taint with no value');
  t.ok(tolerates({ key: 'dedicated', operator: 'Exists' }, dedicated), 'Exists matches any value');
  t.notOk(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, dedicated), 'another effect');
  t.notOk(tolerates({ key: 'other', operator: 'Exists' }, dedicated), 'another key');
  t.ok(tolerates({ operator: 'Exists' }, dedicated), 'no key with Exists matches every taint');
  t.notOk(tolerates({ value: 'cameras' }, dedicated), 'no key with Equal matches nothing');
});

t.test("Kubernetes' node.kubernetes.io/unreachable names the unreachable taint too", async (t) => {
  t.ok(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, UNREACHABLE_TAINT));
  t.ok(tolerates({ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, UNREACHABLE_TAINT));
  t.notOk(tolerates({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }, UNREACHABLE_TAINT));
  t.equal(describeTaint(UNREACHABLE_TAINT), 'flotilla.io/unreachable:NoExecute');
  t.equal(describeTaint(dedicated), 'dedicated=cameras:NoSchedule');
});

t.test('a pod tolerates the unreachable taint for its least matching tolerationSeconds, for ever without one, 300 s by default', async (t) => {
  const seconds = (tolerations?: Toleration[]) => toleratedSeconds(tolerations, UNREACHABLE_TAINT, 300);
  const unreachable = (tolerationSeconds?: number): Toleration => ({
    key: 'flotilla.io/unreachable',
    operator: 'Exists',
    effect: 'NoExecute',
    ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }),
  });
  t.equal(seconds(undefined), 300, 'no tolerations: the default');
  t.equal(seconds([]), 300);
  t.equal(seconds([{ key: 'dedicated', operator: 'Exists' }]), 300, 'tolerations of other taints: the default');
  t.equal(seconds([{ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }]), 300, 'a NoSchedule toleration does not keep a pod on');
  t.equal(seconds([unreachable(60)]), 60);
  t.equal(seconds([unreachable(3600), { ...unreachable(30), key: 'node.kubernetes.io/unreachable' }]), 30, 'the least of those that match');
  t.equal(seconds([unreachable(0)]), 0, 'zero: at once');
  t.equal(seconds([unreachable()]), Infinity, 'present without tolerationSeconds: for ever');
  t.equal(seconds([unreachable(60), { operator: 'Exists' }]), Infinity, 'a toleration of everything, for ever, wins');
  t.equal(seconds([{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 90 }]), 90);
});
