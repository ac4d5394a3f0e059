/** `flotilla cordon device <name>` / `uncordon`: stop or resume scheduling new pods onto it. */
import { commandContext, kindOfArgument, write } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { resourceName } from '../format/names.js';

export async function runCordon(type: string, name: string, unschedulable: boolean, options: GlobalOptions): Promise<void> {
  const context = commandContext(options);
  kindOfArgument(type, ['Device']);
  await context.client.patch(`/api/v1/devices/${encodeURIComponent(name)}/cordon`, { unschedulable });
  write(`${resourceName('Device', name)} ${unschedulable ? 'cordoned' : 'uncordoned'}\n`);
}
