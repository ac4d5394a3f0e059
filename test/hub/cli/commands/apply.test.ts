import t from 'tap';
import { attributeToSources, placeInNamespace } from '../../../../hub/cli/commands/apply.js';
import type { Manifest } from '../../../../hub/cli/manifests.js';
import { FlotillaError } from '../../../../shared/errors.js';

const manifests: Manifest[] = [
  { object: { kind: 'Pod', metadata: { name: 'a' } }, source: 'app.yaml (document 1)' },
  { object: { kind: 'Deployment', metadata: { name: 'web', namespace: 'edge' } }, source: 'app.yaml (document 2)' },
  { object: { kind: 'Device', metadata: { name: 'cam-1' } }, source: 'devices.yaml' },
];

t.test("errors about items[i] are told in terms of the item's file and document", (t) => {
  const error = new FlotillaError('Invalid', 'items[1] (Deployment web) is invalid; nothing was applied', {
    details: [{ field: 'items[1].spec.replicas', message: 'must be an integer' }],
  });
  const told = attributeToSources(error, manifests) as FlotillaError;
  t.equal(told.message, 'app.yaml (document 2: Deployment web) is invalid; nothing was applied');
  t.same(told.details, [{ field: 'spec.replicas', message: 'must be an integer' }]);
  t.end();
});

t.test('with several items at fault each detail names its source', (t) => {
  const error = new FlotillaError('Invalid', '2 of 3 items are invalid; nothing was applied', {
    details: [
      { field: 'items[0].spec', message: 'is required' },
      { field: 'items[2].metadata.name', message: 'is required' },
    ],
  });
  const told = attributeToSources(error, manifests) as FlotillaError;
  t.same(told.details.map((d) => d.field), ['app.yaml (document 1: Pod a): spec', 'devices.yaml (Device cam-1): metadata.name']);
  t.end();
});

t.test('namespaced manifests without a namespace get the one of -n; devices get none', (t) => {
  const placed = placeInNamespace(manifests, 'plant-3', false);
  t.same(placed.map((o) => (o['metadata'] as { namespace?: string }).namespace), ['plant-3', 'edge', undefined]);
  t.end();
});

t.test('a manifest in another namespace than an explicit -n is refused', (t) => {
  t.throws(() => placeInNamespace(manifests, 'plant-3', true), { message: /app\.yaml \(document 2\).*"edge".*"plant-3"/ });
  t.end();
});
