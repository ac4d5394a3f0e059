/**
 * Small edits of a Device that people make while agents keep writing its status: each is
 * re-read and retried on a Conflict, so neither side's write is lost.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { FlotillaError, hasCode } from '../../shared/errors.js';
import type { FieldError } from '../../shared/errors.js';
import type { Device, Labels } from '../../shared/objects.js';
import { labelKeyProblem, labelValueProblem } from '../../shared/labels.js';
import type { Store } from '../store/store.js';
import { sameJson } from './apply.js';
import { objectName } from './resources.js';

export interface LabelPatch {
  set?: Record<string, string>;
  remove?: string[];
  /** Whether `set` may change a label that already has another value (default true). */
  overwrite?: boolean;
}

const CONFLICT_ATTEMPTS = 8;

export function checkLabelPatch(changes: LabelPatch): void {
  const details: FieldError[] = [];
  for (const [key, value] of Object.entries(changes.set ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) details.push({ field: `set[${JSON.stringify(key)}]`, message: `key ${keyProblem}` });
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) details.push({ field: `set[${JSON.stringify(key)}]`, message: `value ${valueProblem}` });
  }
  (changes.remove ?? []).forEach((key, index) => {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) details.push({ field: `remove[${index}]`, message: problem });
    else if (changes.set !== undefined && Object.hasOwn(changes.set, key)) {
      details.push({ field: `remove[${index}]`, message: `"${key}" is also set; a label cannot be set and removed at once` });
    }
  });
  if (details.length > 0) {
    const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
    throw new FlotillaError('Invalid', `the label changes are invalid: ${summary}`, { details });
  }
}

/** The labels after `changes`; pure. Throws Conflict when overwrite is off and a value differs. */
export function changedLabels(current: Labels | undefined, changes: LabelPatch): Labels {
  const next: Labels = { ...current };
  for (const [key, value] of Object.entries(changes.set ?? {})) {
    const existing = next[key];
    if (changes.overwrite === false && existing !== undefined && existing !== value) {
      throw new FlotillaError('Conflict', `label "${key}" already has the value "${existing}"`, {
        hint: 'pass --overwrite (overwrite: true) to replace it',
      });
    }
    next[key] = value;
  }
  for (const key of changes.remove ?? []) delete next[key];
  return next;
}

async function editDevice(store: Store, name: string, edit: (device: Device) => Device): Promise<Device> {
  for (let attempt = 1; ; attempt++) {
    const device = await store.get('Device', undefined, name);
    if (device === undefined) {
      throw new FlotillaError('NotFound', `${objectName('Device', undefined, name)} not found`, {
        hint: 'list them with: flotilla get devices',
      });
    }
    const next = edit(device);
    if (sameJson(next, device)) return device;
    try {
      return await store.update(next);
    } catch (error) {
      if (hasCode(error, 'Conflict') && attempt < CONFLICT_ATTEMPTS) {
        // A little jitter, so two writers that collided do not collide again in lock-step.
        await delay(Math.random() * 5 * attempt);
        continue;
      }
      throw error;
    }
  }
}

export async function labelDevice(store: Store, name: string, changes: LabelPatch): Promise<Device> {
  checkLabelPatch(changes);
  return editDevice(store, name, (device) => {
    const labels = changedLabels(device.metadata.labels, changes);
    const { labels: _previous, ...metadata } = device.metadata;
    return { ...device, metadata: Object.keys(labels).length === 0 ? metadata : { ...metadata, labels } };
  });
}

export async function cordonDevice(store: Store, name: string, unschedulable: boolean): Promise<Device> {
  return editDevice(store, name, (device) => ({ ...device, spec: { ...device.spec, unschedulable } }));
}
