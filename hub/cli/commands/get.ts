/** `flotilla get <type> [name...]`: tables like kubectl, or json/yaml/name; `-w` polls. */
import { setTimeout as delay } from 'node:timers/promises';
import { hasCode } from '../../../shared/errors.js';
import { KINDS } from '../../../shared/objects.js';
import type { AnyObject, Kind } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write, writeError } from '../context.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { CliError, formatError } from '../errors.js';
import { formatObjects } from '../format/output.js';
import type { OutputFormat } from '../format/output.js';

export interface GetOptions extends GlobalOptions {
  output?: Exclude<OutputFormat, 'table'>;
  selector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
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

export async function runGet(type: string, names: string[], options: GetOptions): Promise<void> {
  const context = commandContext(options);
  const kind = kindOfArgument(type);
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
