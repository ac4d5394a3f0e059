/**
 * `flotilla device remove <name>...`: takes a device out of the fleet. The hub deletes it and
 * revokes its certificate at once, so the box cannot reconnect; it must join again with a
 * new token to come back.
 */
import { commandContext, forEachName, write } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { resourceName } from '../format/names.js';

export async function runDeviceRemove(names: string[], options: GlobalOptions): Promise<void> {
  if (names.length === 0) throw usageError('name the devices to remove', 'list them with: flotilla get devices');
  const context = commandContext(options);
  await forEachName(names, async (name) => {
    await context.client.delete(`/api/v1/devices/${encodeURIComponent(name)}`);
    write(`${resourceName('Device', name)} removed\n`);
  });
}
