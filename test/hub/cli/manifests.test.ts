import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadManifests, parseManifestText } from '../../../hub/cli/manifests.js';

t.test('a file with several documents gives one manifest each, skipping empty ones', (t) => {
  const text = 'kind: Pod\nmetadata: {name: a}\n---\n---\n# only a comment\n---\nkind: Pod\nmetadata: {name: b}\n';
  const manifests = parseManifestText(text, 'pods.yaml');
  t.same(
    manifests.map((m) => [m.source, (m.object['metadata'] as { name: string }).name]),
    [
      ['pods.yaml (document 1)', 'a'],
      ['pods.yaml (document 4)', 'b'],
    ],
  );
  t.end();
});

t.test('a single-document file is named by its file alone', (t) => {
  t.same(parseManifestText('kind: Pod\n', 'pod.yaml').map((m) => m.source), ['pod.yaml']);
  t.end();
});

t.test('JSON is read as well', (t) => {
  const [manifest] = parseManifestText('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}}', 'pod.json');
  t.same(manifest?.object, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' } });
  t.end();
});

t.test('a List is flattened into its items', (t) => {
  const manifests = parseManifestText('kind: List\nitems:\n  - kind: Pod\n  - kind: Deployment\n', 'list.yaml');
  t.same(manifests.map((m) => m.object['kind']), ['Pod', 'Deployment']);
  t.same(manifests.map((m) => m.source), ['list.yaml (items[0])', 'list.yaml (items[1])']);
  t.end();
});

t.test('a YAML syntax error names the file, line and column', (t) => {
  t.throws(() => parseManifestText('kind: Pod\nmetadata:\n  name: [a,\n  b: c\n', 'broken.yaml'), {
    message: /^broken\.yaml:\d+:\d+: YAML syntax error: /,
  });
  t.throws(() => parseManifestText('kind: Pod\nkind: Deployment\n', 'dup.yaml'), { message: /^dup\.yaml:2:1: YAML syntax error: .*unique/i });
  t.end();
});

t.test('a document that is not a mapping is refused naming where it is', (t) => {
  t.throws(() => parseManifestText('kind: Pod\n---\n- a\n- b\n', 'x.yaml'), { message: 'x.yaml (document 2): a manifest must be a mapping with apiVersion, kind and metadata' });
  t.end();
});

t.test('a directory gives its YAML and JSON files in name order, and a missing path is named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-manifests-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'b.yaml'), 'kind: Deployment\n');
  await writeFile(join(dir, 'a.json'), '{"kind": "Pod"}');
  await writeFile(join(dir, 'notes.txt'), 'not a manifest');
  const manifests = await loadManifests([dir]);
  t.same(manifests.map((m) => m.object['kind']), ['Pod', 'Deployment']);
  await t.rejects(loadManifests([join(dir, 'nope.yaml')]), { message: /nope\.yaml: no such file or directory/ });
});
