/**
 * `flotilla cordon|uncordon <device>`: stop or resume scheduling new pods onto a device.
 * `flotilla drain <device>`: cordon it, then delete the pods a controller will place elsewhere.
 *
 * What drain does with each pod on the device, as kubectl's drain with --ignore-daemonsets:
 * - a Deployment's pod is deleted: the Deployment makes a replacement, and the scheduler puts
 *   it on another device, the drained one being cordoned;
 * - a DaemonSet's pod stays: it belongs to its device, and would only come back there;
 * - any other pod (bare, or of an owner the hub does not manage) has nothing that would bring
 *   it back: drain refuses, naming them, and deletes nothing unless --force;
 * - a finished pod (Succeeded, Failed) holds nothing and is left as it is.
 * The device stays cordoned when drain refuses: `flotilla uncordon` undoes it.
 */
import { hasCode } from '../../../shared/errors.js';
import { DEFAULT_NAMESPACE } from '../../../shared/objects.js';
import type { Device, Pod } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write, writeError } from '../context.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { CliError } from '../errors.js';
import { resourceName } from '../format/names.js';

export interface DrainOptions extends GlobalOptions {
  force?: boolean;
}

/** The device's name from `<name>` or `device <name>`: kubectl takes a node's name alone. */
export function deviceArgument(first: string, second: string | undefined): string {
  if (second === undefined) return first;
  kindOfArgument(first, ['Device']);
  return second;
}

export async function runCordon(first: string, second: string | undefined, unschedulable: boolean, options: GlobalOptions): Promise<void> {
  const name = deviceArgument(first, second);
  const context = commandContext(options);
  await setCordon(context, name, unschedulable);
  write(`${resourceName('Device', name)} ${unschedulable ? 'cordoned' : 'uncordoned'}\n`);
}

async function setCordon(context: CommandContext, name: string, unschedulable: boolean): Promise<Device> {
  return context.client.patch<Device>(`/api/v1/devices/${encodeURIComponent(name)}/cordon`, { unschedulable });
}

/** What drain does with the pods on a device; see the module comment. */
export interface DrainPlan {
  /** Deleted: a Deployment places a replacement elsewhere. */
  evict: Pod[];
  /** Left running: DaemonSet pods. */
  daemonSet: Pod[];
  /** Nothing would replace them: refused unless --force, then deleted. */
  unmanaged: Pod[];
}

/** Sorts the pods bound to `device` by what drain does with them; pure. */
export function planDrain(device: string, pods: readonly Pod[]): DrainPlan {
  const plan: DrainPlan = { evict: [], daemonSet: [], unmanaged: [] };
  for (const pod of pods) {
    if (pod.spec.nodeName !== device) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const controller = pod.metadata.ownerReferences?.find((owner) => owner.controller === true)?.kind;
    if (controller === 'Deployment') plan.evict.push(pod);
    else if (controller === 'DaemonSet') plan.daemonSet.push(pod);
    else plan.unmanaged.push(pod);
  }
  return plan;
}

/** `default/web-5d8f9-x2k4q`, as drain names pods: a device's pods come from every namespace. */
export function podRef(pod: Pod): string {
  return `${pod.metadata.namespace ?? DEFAULT_NAMESPACE}/${pod.metadata.name}`;
}

export async function runDrain(first: string, second: string | undefined, options: DrainOptions): Promise<void> {
  const name = deviceArgument(first, second);
  const context = commandContext(options);
  // Read first: a device that does not exist is reported as such, before anything changes.
  const device = await context.client.get<Device>(apiPath('Device', undefined, name));
  if (device.spec?.unschedulable === true) write(`${resourceName('Device', name)} already cordoned\n`);
  else {
    await setCordon(context, name, true);
    write(`${resourceName('Device', name)} cordoned\n`);
  }

  const pods = await context.client.get<{ items: Pod[] }>(apiPath('Pod', undefined));
  const plan = planDrain(name, pods.items);
  if (plan.unmanaged.length > 0 && options.force !== true) {
    throw new CliError(
      `cannot drain device ${name}: no Deployment or DaemonSet controls ${plan.unmanaged.length === 1 ? 'this pod' : 'these pods'}, so deleting ${plan.unmanaged.length === 1 ? 'it loses it' : 'them loses them'}: ${plan.unmanaged.map(podRef).join(', ')}`,
      { hint: `the device stays cordoned and nothing was deleted; delete or move those pods yourself, or drain with --force to delete them too (flotilla uncordon ${name} undoes the cordon)` },
    );
  }
  if (plan.daemonSet.length > 0) {
    writeError(`Warning: ignoring DaemonSet pods, which stay with their device: ${plan.daemonSet.map(podRef).join(', ')}\n`);
  }
  if (plan.unmanaged.length > 0) {
    writeError(`Warning: deleting pods no controller will bring back: ${plan.unmanaged.map(podRef).join(', ')}\n`);
  }

  let failed = 0;
  for (const pod of [...plan.evict, ...plan.unmanaged]) {
    write(`evicting pod ${podRef(pod)}\n`);
    try {
      await context.client.delete(apiPath('Pod', pod.metadata.namespace ?? DEFAULT_NAMESPACE, pod.metadata.name));
    } catch (error) {
      // Gone meanwhile (its Deployment scaled down, someone deleted it): evicted all the same.
      if (!hasCode(error, 'NotFound')) {
        failed++;
        writeError(`error: pod ${podRef(pod)} was not evicted: ${error instanceof Error ? error.message : String(error)}\n`);
        continue;
      }
    }
    write(`${resourceName('Pod', pod.metadata.name)} evicted\n`);
  }
  if (failed > 0) {
    throw new CliError(`device ${name} is cordoned but not drained: ${failed} ${failed === 1 ? 'pod was' : 'pods were'} not evicted`, {
      hint: `run flotilla drain ${name} again`,
    });
  }
  write(`${resourceName('Device', name)} drained\n`);
}

