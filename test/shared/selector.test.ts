import t from 'tap';
import { FlotillaError } from '../../shared/errors.js';
import {
  Selector,
  SelectorSyntaxError,
  parseSelector,
  selectorFromLabels,
  selectorFromObject,
  selectorProblem,
} from '../../shared/selector.js';

const camera = { role: 'camera', site: 'plant-3', arch: 'arm64' };
const gateway = { role: 'gateway', site: 'plant-4' };
const retired = { role: 'camera', site: 'plant-3', decommissioned: 'true' };

function syntaxError(text: string): SelectorSyntaxError {
  try {
    parseSelector(text);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return error;
    throw error;
  }
  throw new Error(`"${text}" parsed`);
}

t.test('the empty selector matches every device, with or without labels', async (t) => {
  for (const text of ['', '   ']) {
    const selector = parseSelector(text);
    t.ok(selector.isEmpty(), `"${text}" is empty`);
    t.ok(selector.matches(camera));
    t.ok(selector.matches({}));
    t.ok(selector.matches(undefined));
  }
  t.ok(Selector.everything().matches(undefined));
  t.equal(Selector.everything().toString(), '');
});

t.test('equality requirements match on the exact value, with = and == alike', async (t) => {
  for (const text of ['role=camera', 'role==camera', ' role = camera ']) {
    const selector = parseSelector(text);
    t.ok(selector.matches(camera), `${text} matches a camera`);
    t.notOk(selector.matches(gateway), `${text} does not match a gateway`);
    t.notOk(selector.matches({}), `${text} does not match a device without the label`);
  }
});

t.test('!= matches devices whose label differs or is absent, as in Kubernetes', async (t) => {
  const selector = parseSelector('role!=camera');
  t.notOk(selector.matches(camera));
  t.ok(selector.matches(gateway));
  t.ok(selector.matches({ site: 'plant-3' }));
});

t.test('in matches any listed value; notin matches the rest and devices without the label', async (t) => {
  const within = parseSelector('site in (plant-3, plant-4)');
  t.ok(within.matches(camera));
  t.ok(within.matches(gateway));
  t.notOk(within.matches({ site: 'plant-5' }));
  t.notOk(within.matches({}));

  const outside = parseSelector('site notin (plant-3)');
  t.notOk(outside.matches(camera));
  t.ok(outside.matches(gateway));
  t.ok(outside.matches({}));
});

t.test('a bare key requires the label and !key requires its absence, whatever the value', async (t) => {
  t.ok(parseSelector('decommissioned').matches(retired));
  t.ok(parseSelector('decommissioned').matches({ decommissioned: '' }));
  t.notOk(parseSelector('decommissioned').matches(camera));
  t.ok(parseSelector('!decommissioned').matches(camera));
  t.notOk(parseSelector('!decommissioned').matches(retired));
});

t.test('commas join requirements that must all hold', async (t) => {
  const selector = parseSelector('role=camera,site in (plant-3,plant-4),!decommissioned');
  t.ok(selector.matches(camera));
  t.notOk(selector.matches(gateway), 'wrong role');
  t.notOk(selector.matches(retired), 'decommissioned');
  t.notOk(selector.matches({ role: 'camera', site: 'plant-9' }), 'wrong site');
});

t.test('keys with a DNS prefix and values with dots and underscores are accepted', async (t) => {
  const selector = parseSelector('example.com/tier=edge_1.2,flotilla.io/arch in (arm64)');
  t.ok(selector.matches({ 'example.com/tier': 'edge_1.2', 'flotilla.io/arch': 'arm64' }));
  t.notOk(selector.matches({ tier: 'edge_1.2', arch: 'arm64' }));
});

t.test('an empty value after = selects the empty label value', async (t) => {
  const selector = parseSelector('zone=,role=camera');
  t.ok(selector.matches({ zone: '', role: 'camera' }));
  t.notOk(selector.matches({ zone: 'a', role: 'camera' }));
  t.notOk(selector.matches({ role: 'camera' }));
});

t.test('"in" and "notin" are keywords only where an operator goes: they may be values', async (t) => {
  t.ok(parseSelector('direction=in').matches({ direction: 'in' }));
  t.ok(parseSelector('direction in (in,notin)').matches({ direction: 'notin' }));
});

t.test('an empty item in a set is the empty value, as Kubernetes parses it', async (t) => {
  t.same(parseSelector('a in ()').requirements, [{ key: 'a', operator: 'In', values: [''] }]);
  t.same(parseSelector('a in (,x)').requirements, [{ key: 'a', operator: 'In', values: ['', 'x'] }]);
});

t.test('the requirements are exposed with their operators', async (t) => {
  t.same(parseSelector('b!=2, a, !c, d notin (y,x), e==1, f in (z)').requirements, [
    { key: 'a', operator: 'Exists', values: [] },
    { key: 'b', operator: 'NotEquals', values: ['2'] },
    { key: 'c', operator: 'DoesNotExist', values: [] },
    { key: 'd', operator: 'NotIn', values: ['x', 'y'] },
    { key: 'e', operator: 'Equals', values: ['1'] },
    { key: 'f', operator: 'In', values: ['z'] },
  ]);
});

t.test('toString prints a canonical form that parses back to an equal selector', async (t) => {
  const texts = [
    'role=camera,site in (plant-4,plant-3),!decommissioned',
    '  site  notin(b,a,b) ,gpu, tier!=  ',
    'a in (,x),b=',
    'role==camera',
    '',
  ];
  for (const text of texts) {
    const selector = parseSelector(text);
    const printed = selector.toString();
    const reparsed = parseSelector(printed);
    t.same(reparsed.requirements, selector.requirements, `"${text}" → "${printed}"`);
    t.equal(reparsed.toString(), printed);
    t.ok(reparsed.equals(selector));
  }
  t.equal(
    parseSelector('site in (plant-4,plant-3),role=camera,!decommissioned').toString(),
    '!decommissioned,role=camera,site in (plant-3,plant-4)',
  );
  t.equal(parseSelector('role==camera').toString(), 'role=camera');
});

t.test('selectors written in a different order or with repeats are equal', async (t) => {
  t.ok(parseSelector('a=1,b=2').equals(parseSelector('b=2, a=1, a=1')));
  t.notOk(parseSelector('a=1').equals(parseSelector('a!=1')));
});

t.test('and() requires both selectors to match', async (t) => {
  const both = parseSelector('role=camera').and(parseSelector('site=plant-4'));
  t.notOk(both.matches(camera));
  t.ok(both.matches({ role: 'camera', site: 'plant-4' }));
  t.equal(both.toString(), 'role=camera,site=plant-4');
  t.equal(Selector.everything().and(parseSelector('a=1')).toString(), 'a=1');
});

t.test('a selector cannot be changed through its requirements', async (t) => {
  const selector = parseSelector('role=camera');
  t.throws(() => {
    (selector.requirements as unknown as { key: string }[])[0]!.key = 'site';
  });
  t.equal(selector.toString(), 'role=camera');
});

t.test('refuses a selector with an unclosed parenthesis, naming the position', async (t) => {
  const error = syntaxError('role=camera,site in (a,b');
  t.ok(error instanceof FlotillaError);
  t.equal(error.code, 'Invalid');
  t.equal(error.position, 24);
  t.match(error.message, /^invalid label selector "role=camera,site in \(a,b": /);
  t.match(error.problem, /"\(" at character 21 is never closed/);
  t.same(error.details, [{ field: 'selector', message: error.problem }]);
});

t.test('refuses a trailing or leading comma', async (t) => {
  t.match(syntaxError('role=camera,').problem, /at the end: expected a label key/);
  t.match(syntaxError(',role=camera').problem, /at character 1: expected a label key, found ","/);
});

t.test('refuses two words without an operator, pointing at the second', async (t) => {
  const error = syntaxError('role camera');
  t.equal(error.position, 5);
  t.match(error.problem, /at character 6: expected an operator .* after label key "role", found "camera"/);
});

t.test('refuses values in a set that are not separated by commas', async (t) => {
  t.match(syntaxError('site in (a b)').problem, /at character 12: expected "," or "\)" after value "a", found "b"/);
});

t.test('refuses in/notin without a parenthesised list', async (t) => {
  t.match(syntaxError('site in a').problem, /expected "\(" after "in", found "a"/);
  t.match(syntaxError('site notin').problem, /at the end: expected "\(" after "notin"/);
});

t.test('refuses the keyword "in" as a key', async (t) => {
  t.match(syntaxError('in=a').problem, /at character 1: expected a label key, found the keyword "in"/);
});

t.test('refuses the Gt/Lt comparisons Flotilla does not support', async (t) => {
  t.match(syntaxError('cores>2').problem, /at character 6: ">" comparisons are not supported/);
});

t.test('refuses keys and values that break the label rules, quoting them', async (t) => {
  const badKey = syntaxError('Role_=camera');
  t.equal(badKey.position, 0);
  t.match(badKey.problem, /label key "Role_"/);
  const badValue = syntaxError('role=cam;era');
  t.equal(badValue.position, 5);
  t.match(badValue.problem, /label value "cam;era"/);
  t.match(syntaxError('Example.com/role=a').problem, /prefix "Example.com"/);
  t.match(syntaxError(`role=${'x'.repeat(64)}`).problem, /at most 63 characters/);
});

t.test('refuses a bare ! and a ! before an operator', async (t) => {
  t.match(syntaxError('!').problem, /expected a label key, found the end/);
  t.match(syntaxError('!role=camera').problem, /expected "," between requirements, found "="/);
});

t.test('selectorProblem returns the problem, or undefined for a good selector', async (t) => {
  t.equal(selectorProblem('role=camera'), undefined);
  t.match(selectorProblem('role in (a'), /never closed/);
});

t.test('a structured selector combines matchLabels and matchExpressions', async (t) => {
  const selector = selectorFromObject({
    matchLabels: { role: 'camera' },
    matchExpressions: [
      { key: 'site', operator: 'In', values: ['plant-3', 'plant-4'] },
      { key: 'decommissioned', operator: 'DoesNotExist' },
      { key: 'arch', operator: 'Exists' },
      { key: 'tier', operator: 'NotIn', values: ['test'] },
    ],
  });
  t.ok(selector.matches(camera));
  t.notOk(selector.matches(retired));
  t.notOk(selector.matches({ ...camera, tier: 'test' }));
  t.equal(selector.toString(), 'arch,!decommissioned,role=camera,site in (plant-3,plant-4),tier notin (test)');
  t.ok(selectorFromObject({}).isEmpty());
});

t.test('a structured selector with missing or extra values is refused with relative field paths', async (t) => {
  try {
    selectorFromObject({
      matchLabels: { 'bad key': 'x' },
      matchExpressions: [
        { key: 'site', operator: 'In', values: [] },
        { key: 'gpu', operator: 'Exists', values: ['yes'] },
        { key: 'zone', operator: 'Near' as 'In', values: ['a'] },
        { key: 'tier', operator: 'NotIn', values: ['not valid'] },
      ],
    });
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof FlotillaError);
    const fields = (error as FlotillaError).details.map((detail) => detail.field);
    t.same(fields, [
      'matchLabels["bad key"]',
      'matchExpressions[0].values',
      'matchExpressions[1].values',
      'matchExpressions[2].operator',
      'matchExpressions[3].values[0]',
    ]);
  }
});

t.test('a selector from labels matches objects carrying all of them, and more', async (t) => {
  const selector = selectorFromLabels({ role: 'camera', site: 'plant-3' });
  t.ok(selector.matches(camera));
  t.notOk(selector.matches({ role: 'camera' }));
  t.equal(selector.toString(), 'role=camera,site=plant-3');
  t.ok(selectorFromLabels({}).isEmpty());
  t.throws(() => selectorFromLabels({ role: 'a b' }), { code: 'Invalid' });
});

t.test('labels named like Object.prototype members are matched as plain labels', async (t) => {
  t.notOk(parseSelector('constructor').matches({}));
  t.ok(parseSelector('!toString').matches({ role: 'camera' }));
  t.ok(parseSelector('constructor=x').matches({ constructor: 'x' }));
});
