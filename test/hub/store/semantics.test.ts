import t from 'tap';
import { jsonCopy } from '../../../hub/store/semantics.js';

/** What the store must hand back: exactly what a trip through JSON text makes of the value. */
function viaText(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Keys in order and prototypes, all the way down, as well as the values. */
function shape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return Object.is(value, -0) ? '-0' : value;
  const prototype = Object.getPrototypeOf(value) === Array.prototype ? 'array' : Object.getPrototypeOf(value) === Object.prototype ? 'object' : 'other';
  return [prototype, Object.keys(value).map((key) => [key, shape((value as Record<string, unknown>)[key])])];
}

class Gadget {
  constructor(readonly size = 3) {}
}

const protoKeyed: Record<string, unknown> = {};
Object.defineProperty(protoKeyed, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });

const sparse: unknown[] = [1];
sparse[3] = 4;

const cases: Record<string, unknown> = {
  'a pod as a controller hands it over': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: undefined, labels: { app: 'web' }, ownerReferences: [{ uid: 'u', controller: true }] },
    spec: { nodeName: 'dev-1', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'], resources: {} }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  },
  'undefined, functions and symbols in objects and arrays': { a: undefined, b: () => 1, c: Symbol('x'), d: [undefined, () => 1, Symbol('y'), 2] },
  'numbers JSON cannot write': { nan: Number.NaN, inf: Infinity, minus: -Infinity, negativeZero: -0, tiny: 5e-324, big: 1e21 },
  'integer-like keys, which come first': { b: 1, 2: 'two', a: 3, 1: 'one' },
  'a Date, written through its toJSON': { at: new Date(0) },
  'an own toJSON': { wrapped: { toJSON: () => ({ unwrapped: true }) } },
  'a toJSON that is not a function, kept as a field': { odd: { toJSON: 'text' } },
  'a class instance, a Map and a boxed string': { gadget: new Gadget(), map: new Map([['k', 1]]), boxed: new String('s') },
  'an object without a prototype': { bare: Object.assign(Object.create(null) as object, { x: 1 }) },
  'a key named __proto__': { labels: protoKeyed },
  'an array with holes': { sparse },
  'nesting deeper than any object holds': { deep: Array.from({ length: 100 }).reduce<unknown>((inner) => ({ inner }), 'bottom') },
  'strings with lone surrogates and escapes': { text: 'a\ud800b"\\\n\u0000' },
};

t.test('copies a value exactly as a trip through JSON text would, keys in the same order', async (t) => {
  for (const [what, value] of Object.entries(cases)) {
    t.strictSame(shape(jsonCopy(value)), shape(viaText(value)), what);
    t.equal(JSON.stringify(jsonCopy(value)), JSON.stringify(viaText(value)), `${what}, as text`);
  }
});

t.test('keeps a key named __proto__ as an ordinary key, not as the prototype', async (t) => {
  const copy = jsonCopy({ labels: protoKeyed });
  t.equal(Object.getPrototypeOf(copy.labels), Object.prototype);
  t.same(Object.keys(copy.labels), ['__proto__']);
});

t.test('shares nothing with the original', async (t) => {
  const original = { spec: { containers: [{ name: 'main' }] } };
  const copy = jsonCopy(original);
  copy.spec.containers[0]!.name = 'changed';
  t.equal(original.spec.containers[0]?.name, 'main');
});

t.test('fails as JSON does on what JSON cannot write', async (t) => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  t.throws(() => jsonCopy(cyclic), TypeError, 'a cycle');
  t.throws(() => jsonCopy({ count: 10n }), TypeError, 'a bigint');
});
