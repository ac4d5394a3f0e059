/** `flotilla label device <name> role=camera site- [--overwrite]`, kubectl's syntax. */
import { parseLabelChanges } from '../../../shared/labels.js';
import { commandContext, kindOfArgument, write } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { resourceName } from '../format/names.js';

export interface LabelOptions extends GlobalOptions {
  overwrite?: boolean;
}

export async function runLabel(type: string, name: string, changes: string[], options: LabelOptions): Promise<void> {
  const context = commandContext(options);
  kindOfArgument(type, ['Device']);
  if (changes.length === 0) {
    throw usageError('give at least one label change: key=value to set, key- to remove', 'flotilla label device cam-1 role=camera site-');
  }
  const { set, remove } = parseLabelChanges(changes);
  await context.client.patch(`/api/v1/devices/${encodeURIComponent(name)}/labels`, {
    set,
    remove,
    overwrite: options.overwrite === true,
  });
  write(`${resourceName('Device', name)} labeled\n`);
}
