/**
 * The JSON Schemas of the fleet topics (shared/schemas/) against what the hub really
 * publishes, their own examples, and the README that shows those examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import t from 'tap';
import { FleetCounts } from '../../hub/dispatch/fleet-counts.js';
import { deviceHealth, fleetEvent } from '../../hub/dispatch/fleet-documents.js';
import { FLEET_DEVICE_SCHEMA, FLEET_EVENT_SCHEMA, FLEET_SUMMARY_SCHEMA } from '../../shared/fleet.js';
import { REPO } from '../helpers/fleet.js';

const SCHEMAS = {
  [FLEET_SUMMARY_SCHEMA]: 'fleet-summary.v1.schema.json',
  [FLEET_DEVICE_SCHEMA]: 'fleet-device.v1.schema.json',
  [FLEET_EVENT_SCHEMA]: 'fleet-event.v1.schema.json',
};

// ajv-formats is CommonJS: its default export arrives as the module object under tsx.
const formats = addFormats as unknown as { default?: (ajv: Ajv) => Ajv } & ((ajv: Ajv) => Ajv);
const withFormats = formats.default ?? formats;
const ajv = withFormats(new Ajv({ allErrors: true, strict: true }));

function schema(name: string): { title: string; examples: unknown[] } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO, 'shared', 'schemas', name), 'utf8'));
}

function validate(id: string, value: unknown): string[] {
  const check = ajv.getSchema(id) ?? ajv.compile({ ...schema(SCHEMAS[id as keyof typeof SCHEMAS]), $id: id });
  return check(value) ? [] : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

t.test('each schema is titled with the schema name its payloads carry, and its examples conform', async (t) => {
  for (const [id, file] of Object.entries(SCHEMAS)) {
    const document = schema(file);
    t.equal(document.title, id, file);
    t.ok(document.examples.length > 0, `${file} has an example`);
    for (const example of document.examples) t.same(validate(id, example), [], `${file} example`);
  }
});

t.test("the hub's summary, device document and event conform to their schemas", async (t) => {
  const counts = new FleetCounts(['site']);
  counts.deviceChanged('cam-1', { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1', labels: { site: 'a' } }, status: { state: 'Ready' } });
  counts.workloadChanged(
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent-tools', namespace: 'kube' },
      spec: { template: { spec: { containers: [{ name: 'm', image: 'x' }] } } },
      status: {
        desiredNumberScheduled: 1,
        currentNumberScheduled: 1,
        numberMisscheduled: 0,
        numberReady: 0,
        updatedNumberScheduled: 0,
        numberAvailable: 0,
        rollout: { revision: 1, phase: 'Progressing', wave: 1, waves: 1, target: 1, updated: 0, ready: 0, failed: 0, pending: 0 },
      },
    },
    false,
  );
  t.same(validate(FLEET_SUMMARY_SCHEMA, counts.summary(Date.now())), []);
  const device = deviceHealth(
    { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1' }, status: { state: 'Offline', offlineSince: new Date().toISOString(), bdSeq: 2 } },
    { lastSeen: new Date().toISOString(), usage: { cpuPercent: 1, memoryUsedBytes: 2, memoryTotalBytes: 3 }, podCount: 0, desiredGeneration: 4, observedGeneration: 4 },
    counts.devicePods('cam-1'),
    Date.now(),
  );
  t.same(validate(FLEET_DEVICE_SCHEMA, device), []);
  const now = new Date().toISOString();
  const event = fleetEvent(
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.abc', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u' },
      type: 'Warning',
      reason: 'Error',
      message: 'container main exited with code 1',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: 'agent/cam-1',
    },
    () => undefined,
  );
  t.same(validate(FLEET_EVENT_SCHEMA, event), []);
});

t.test('a payload that breaks its schema is caught', async (t) => {
  const example = schema(SCHEMAS[FLEET_DEVICE_SCHEMA]).examples[0] as Record<string, unknown>;
  t.not(validate(FLEET_DEVICE_SCHEMA, { ...example, state: 'Gone' }).length, 0, 'an unknown state');
  t.not(validate(FLEET_DEVICE_SCHEMA, { ...example, schema: 'flotilla.fleet.device/v2' }).length, 0, 'another version');
  const { pods: _pods, ...withoutPods } = example;
  t.not(validate(FLEET_DEVICE_SCHEMA, withoutPods).length, 0, 'a required field missing');
});

t.test('the README shows each example as it is in its schema', async (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const file of Object.values(SCHEMAS)) {
    for (const example of schema(file).examples) t.ok(readme.includes(JSON.stringify(example, null, 2)), `${file} example in README.md`);
  }
});
