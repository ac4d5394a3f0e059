import t from 'tap';
import { FlotillaError } from '../../shared/errors.js';
import {
  dnsLabelProblem,
  dnsSubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  parseLabelChanges,
  parseLabelList,
} from '../../shared/labels.js';
import { invalidMessage } from '../helpers/errors.js';

t.test('accepts the label keys Kubernetes accepts', async (t) => {
  for (const key of ['role', 'Role', 'a', 'site.zone_1-b', 'example.com/role', 'flotilla.io/arch', 'x'.repeat(63)]) {
    t.equal(labelKeyProblem(key), undefined, key);
  }
  t.equal(labelKeyProblem(`${'a'.repeat(253)}/role`), undefined, 'a 253-character prefix');
});

t.test('refuses label keys that break the rules, saying which rule', async (t) => {
  t.match(labelKeyProblem(''), /must not be empty/);
  t.match(labelKeyProblem('bad key'), /label key "bad key": the name may contain only letters, digits/);
  t.match(labelKeyProblem('-role'), /starting and ending with a letter or digit/);
  t.match(labelKeyProblem('role_'), /starting and ending with a letter or digit/);
  t.match(labelKeyProblem('x'.repeat(64)), /at most 63 characters \(it has 64\)/);
  t.match(labelKeyProblem('a/b/c'), /more than one "\/"/);
  t.match(labelKeyProblem('/role'), /empty prefix/);
  t.match(labelKeyProblem('example.com/'), /empty name/);
  t.match(labelKeyProblem('Example.com/role'), /prefix "Example.com" .* lower-case DNS subdomain/);
  t.match(labelKeyProblem('exa_mple.com/role'), /prefix "exa_mple.com"/);
  t.match(labelKeyProblem(`${'a'.repeat(254)}/role`), /at most 253 characters/);
});

t.test('accepts empty label values and values of up to 63 allowed characters', async (t) => {
  for (const value of ['', 'camera', 'Plant_3.b-2', '1', 'x'.repeat(63)]) {
    t.equal(labelValueProblem(value), undefined, `"${value}"`);
  }
});

t.test('refuses label values with other characters or over 63 characters', async (t) => {
  t.match(labelValueProblem('a b'), /label value "a b" may contain only/);
  t.match(labelValueProblem('plant/3'), /may contain only/);
  t.match(labelValueProblem('-a'), /may contain only/);
  t.match(labelValueProblem('x'.repeat(64)), /at most 63 characters \(it has 64\)/);
});

t.test('object names are lower-case DNS labels; prefixes are DNS subdomains', async (t) => {
  t.equal(dnsLabelProblem('camera-7'), undefined);
  t.match(dnsLabelProblem('Camera'), /lower-case/);
  t.match(dnsLabelProblem('a.b'), /lower-case letters, digits and "-"/);
  t.match(dnsLabelProblem(''), /must not be empty/);
  t.match(dnsLabelProblem('a'.repeat(64)), /at most 63/);
  t.equal(dnsSubdomainProblem('a.example.com'), undefined);
  t.match(dnsSubdomainProblem('a..b'), /DNS subdomain/);
});

t.test('kubectl-style arguments set labels with key=value and remove them with key-', async (t) => {
  t.same(parseLabelChanges(['role=camera', 'site=a', 'zone-']), { set: { role: 'camera', site: 'a' }, remove: ['zone'] });
});

t.test('one argument may hold several comma-separated changes', async (t) => {
  t.same(parseLabelChanges(['role=camera,site=a', 'old-,example.com/tier-']), {
    set: { role: 'camera', site: 'a' },
    remove: ['old', 'example.com/tier'],
  });
});

t.test('key= sets the empty value, and no arguments change nothing', async (t) => {
  t.same(parseLabelChanges(['zone=']), { set: { zone: '' }, remove: [] });
  t.same(parseLabelChanges([]), { set: {}, remove: [] });
});

t.test('repeating a change with the same value is harmless', async (t) => {
  t.same(parseLabelChanges(['role=camera', 'role=camera', 'a-', 'a-']), { set: { role: 'camera' }, remove: ['a'] });
});

t.test('refuses an argument that is neither key=value nor key-, naming it', async (t) => {
  const message = invalidMessage(() => parseLabelChanges(['role=camera', 'camera']));
  t.match(message, /invalid label argument "camera": "camera" is not key=value to set a label, or key- to remove one/);
});

t.test('refuses an invalid key or value, naming the argument and the rule', async (t) => {
  t.match(invalidMessage(() => parseLabelChanges(['bad key=x'])), /"bad key=x": label key "bad key": the name may contain only/);
  t.match(invalidMessage(() => parseLabelChanges(['site=plant 3'])), /"site=plant 3": label value "plant 3" may contain only/);
  t.match(invalidMessage(() => parseLabelChanges(['-'])), /a label key must not be empty/);
});

t.test('refuses setting and removing one label, or setting it to two values', async (t) => {
  t.match(invalidMessage(() => parseLabelChanges(['role=camera', 'role-'])), /label "role" is both set and removed/);
  t.match(invalidMessage(() => parseLabelChanges(['role-', 'role=camera'])), /label "role" is both set and removed/);
  t.match(invalidMessage(() => parseLabelChanges(['role=camera,role=gateway'])), /given twice, as "camera" and "gateway"/);
});

t.test('refuses an empty entry between commas', async (t) => {
  t.match(invalidMessage(() => parseLabelChanges(['role=camera,,site=a'])), /empty entry/);
});

t.test('the error carries the labels field and a hint with the syntax', async (t) => {
  try {
    parseLabelChanges(['nope']);
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof FlotillaError);
    const flotillaError = error as FlotillaError;
    t.equal(flotillaError.details[0]?.field, 'labels');
    t.match(flotillaError.hint, /key=value .* key-/);
  }
});

t.test('a --labels list reads comma-separated key=value pairs, tolerating spaces', async (t) => {
  t.same(parseLabelList('role=camera,site=plant-3'), { role: 'camera', site: 'plant-3' });
  t.same(parseLabelList(' role = camera , arch=arm64 '), { role: 'camera', arch: 'arm64' });
  t.same(parseLabelList(''), {});
});

t.test('a --labels list refuses removals, bare words and invalid labels', async (t) => {
  t.match(invalidMessage(() => parseLabelList('role-')), /"role-" is not a comma-separated list of key=value/);
  t.match(invalidMessage(() => parseLabelList('role=camera,gpu')), /"gpu" is not/);
  t.match(invalidMessage(() => parseLabelList('role=a/b')), /label value "a\/b"/);
  t.match(invalidMessage(() => parseLabelList('role=camera,')), /empty entry/);
});

t.test('a label named like an Object.prototype member is an ordinary label', async (t) => {
  const labels = parseLabelList('constructor=x,toString=y');
  t.same(Object.entries(labels), [
    ['constructor', 'x'],
    ['toString', 'y'],
  ]);
});
