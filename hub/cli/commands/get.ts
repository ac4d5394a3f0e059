/**
 * `flotilla get <type> [name...]`: tables like kubectl, or json/yaml/name; `-w` polls.
 * `flotilla get groups --by <label>`: the devices grouped by a label's values, with their health.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { hasCode } from '../../../shared/errors.js';
import { labelKeyProblem } from '../../../shared/labels.js';
import { KINDS } from '../../../shared/objects.js';
import type { AnyObject, Device, Kind, Pod } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write, writeError } from '../context.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { CliError, formatError, usageError } from '../errors.js';
import { formatGroups, groupDevices } from '../format/groups.js';
import { formatObjects } from '../format/output.js';
import type { OutputFormat } from '../format/output.js';

export interface GetOptions extends GlobalOptions {
  output?: Exclude<OutputFormat, 'table'>;
  selector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  /** For `get groups`: the label whose values make the groups. */
  by?: string;
}

interface ObjectList {
  items: AnyObject[];
  resourceVersion: string;
}

const WATCH_INTERVAL_MS = 2000;

function listScope(kind: Kind, context: CommandContext, options: GetOptions): string | undefined {
  return KINDS[kind].namespaced && options.allNamespaces !== true ? context.namespace : undefined;
}

async function fetchList(kind: Kind, context: CommandContext, options: GetOptions): Promise<ObjectList> {
  return context.client.get<ObjectList>(apiPath(kind, listScope(kind, context, options)), { labelSelector: options.selector });
}

/** The named objects; the missing ones are reported on stderr and make the command fail. */
async function fetchNamed(kind: Kind, names: readonly string[], context: CommandContext): Promise<{ items: AnyObject[]; missing: number }> {
  const items: AnyObject[] = [];
  let missing = 0;
  for (const name of names) {
    try {
      items.push(await context.client.get<AnyObject>(apiPath(kind, context.namespace, name)));
    } catch (error) {
      if (!hasCode(error, 'NotFound')) throw error;
      writeError(formatError(error));
      missing += 1;
    }
  }
  return { items, missing };
}

function noneFound(kind: Kind, context: CommandContext, options: GetOptions): string {
  return KINDS[kind].namespaced && options.allNamespaces !== true
    ? `No resources found in ${context.namespace} namespace.\n`
    : 'No resources found\n';
}

function render(kind: Kind, items: AnyObject[], options: GetOptions, single: boolean): string {
  return formatObjects(kind, items, options.output ?? 'table', {
    allNamespaces: options.allNamespaces === true && KINDS[kind].namespaced,
    now: Date.now(),
    single,
  });
}

/** Prints the list, then every 2 s the objects that changed since, until interrupted. */
async function watchList(kind: Kind, context: CommandContext, options: GetOptions): Promise<void> {
  const seen = new Map<string, string | undefined>();
  let first = true;
  for (;;) {
    const list = await fetchList(kind, context, options);
    const changed = list.items.filter((item) => {
      const key = `${item.metadata.namespace ?? ''}/${item.metadata.name}`;
      const before = seen.get(key);
      seen.set(key, item.metadata.resourceVersion);
      return before === undefined || before !== item.metadata.resourceVersion;
    });
    if (changed.length > 0) {
      const text = render(kind, changed, options, false);
      // Rows after the first listing come without the header, as kubectl's watch.
      const hasHeader = options.output === undefined || options.output === 'wide';
      write(first || !hasHeader ? text : text.slice(text.indexOf('\n') + 1));
    } else if (first) {
      writeError(noneFound(kind, context, options));
    }
    first = false;
    await delay(WATCH_INTERVAL_MS);
  }
}

const GROUP_TYPES = ['groups', 'group'];

/** `get groups --by site [-l selector]`: one row per value of the label over the devices -l picks. */
async function getGroups(names: readonly string[], options: GetOptions): Promise<void> {
  const by = options.by;
  if (by === undefined) throw usageError('say which label groups the devices: --by <label>', 'flotilla get groups --by site');
  const problem = labelKeyProblem(by);
  if (problem !== undefined) throw usageError(`invalid --by "${by}": ${problem}`);
  if (names.length > 0) throw usageError('get groups takes no names: pick the devices to group with -l', `flotilla get groups --by ${by} -l role=camera`);
  if (options.watch === true) throw usageError('--watch does not apply to groups');
  const context = commandContext(options);
  const devices = await context.client.get<{ items: Device[] }>(apiPath('Device', undefined), { labelSelector: options.selector });
  if (devices.items.length === 0 && options.output !== 'json' && options.output !== 'yaml') {
    writeError(options.selector === undefined ? 'No devices found\n' : `No devices match ${options.selector}\n`);
    return;
  }
  const pods = await context.client.get<{ items: Pod[] }>(apiPath('Pod', undefined));
  write(formatGroups(groupDevices(by, devices.items, pods.items), options.output ?? 'table'));
}

export async function runGet(type: string, names: string[], options: GetOptions): Promise<void> {
  if (GROUP_TYPES.includes(type.toLowerCase())) {
    await getGroups(names, options);
    return;
  }
  if (options.by !== undefined) throw usageError('--by applies to get groups only', `flotilla get groups --by ${options.by}`);
  const context = commandContext(options);
  const kind = kindOfArgument(type);
  // Events list oldest first, take --for, and follow the fleet events topic with --watch.
  if (kind === 'Event' && names.length === 0) return (await import('./events.js')).runGetEvents(options);
  if (names.length > 0 && options.allNamespaces === true && KINDS[kind].namespaced) {
    throw new CliError('a name cannot be combined with --all-namespaces', { hint: 'give -n <namespace> instead' });
  }
  if (options.watch === true) {
    if (names.length > 0) throw new CliError('--watch lists a whole type; leave out the names or use -l');
    await watchList(kind, context, options);
    return;
  }
  if (names.length > 0) {
    const { items, missing } = await fetchNamed(kind, names, context);
    if (items.length > 0) write(render(kind, items, options, names.length === 1));
    if (missing > 0) process.exitCode = 1;
    return;
  }
  const list = await fetchList(kind, context, options);
  if (list.items.length === 0 && options.output !== 'json' && options.output !== 'yaml') {
    writeError(noneFound(kind, context, options));
    return;
  }
  write(render(kind, list.items, options, false));
}
