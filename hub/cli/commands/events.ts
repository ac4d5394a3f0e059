/**
 * `flotilla get events [-n ns | -A] [--for kind/name] [--watch]`: events oldest first, as
 * `kubectl events`. `--watch` then follows the fleet events topic, so new ones print as they
 * happen rather than at the next poll; where that topic cannot be reached (an external
 * broker that does not take access tokens) it polls the API every 2 s instead.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { FleetEvent } from '../../../shared/fleet.js';
import type { FlotillaEvent } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write, writeError } from '../context.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { connectToFleet } from '../fleet-connection.js';
import { byLastSeen } from '../format/events.js';
import { formatObjects } from '../format/output.js';
import { FleetView } from '../watch/fleet-view.js';
import type { GetOptions } from './get.js';

export interface GetEventsOptions extends GetOptions {
  /** `kind/name` of the object the events are about. */
  for?: string;
}

/** Which events: a namespace (undefined: all) and, with --for, one object. */
export interface EventFilter {
  namespace: string | undefined;
  kind?: string;
  name?: string;
}

const POLL_MS = 2_000;

export function eventFilter(options: GetEventsOptions, namespace: string): EventFilter {
  const filter: EventFilter = { namespace: options.allNamespaces === true ? undefined : namespace };
  if (options.for === undefined) return filter;
  const slash = options.for.indexOf('/');
  if (slash <= 0 || slash === options.for.length - 1) {
    throw usageError(`invalid --for "${options.for}": write kind/name`, 'flotilla get events --for pod/web-1, or --for device/cam-7');
  }
  filter.kind = kindOfArgument(options.for.slice(0, slash));
  filter.name = options.for.slice(slash + 1);
  return filter;
}

/** Whether a fleet event passes the filter. Events about cluster-wide objects (devices) are kept in `default`. */
export function matchesFilter(event: FleetEvent, filter: EventFilter): boolean {
  if (filter.namespace !== undefined && (event.object.namespace ?? 'default') !== filter.namespace) return false;
  if (filter.kind !== undefined && event.object.kind !== filter.kind) return false;
  return filter.name === undefined || event.object.name === filter.name;
}

/** The event a fleet topic carries, as the API shows Events, so every output format prints it alike. */
export function eventObject(event: FleetEvent): FlotillaEvent {
  const involvedObject: FlotillaEvent['involvedObject'] = { kind: event.object.kind, name: event.object.name };
  if (event.object.namespace !== undefined) involvedObject.namespace = event.object.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: event.id, namespace: event.object.namespace ?? 'default' },
    involvedObject,
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: event.count,
    firstTimestamp: event.firstTime,
    lastTimestamp: event.time,
    source: event.source,
  };
}

function noEvents(filter: EventFilter): string {
  return filter.namespace === undefined ? 'No events found\n' : `No events found in ${filter.namespace} namespace.\n`;
}

async function listEvents(context: CommandContext, filter: EventFilter): Promise<FlotillaEvent[]> {
  const list = await context.client.get<{ items: FlotillaEvent[] }>(apiPath('Event', filter.namespace), {
    involvedKind: filter.kind,
    involvedName: filter.name,
  });
  return byLastSeen(list.items);
}

/** Prints events; rows after the first listing come without the header, as kubectl's watch. */
class EventPrinter {
  readonly #options: GetEventsOptions;
  /** Event name → the count last printed, so a repeat prints again and a duplicate does not. */
  readonly #printed = new Map<string, number>();
  #headerDone = false;

  constructor(options: GetEventsOptions) {
    this.#options = options;
  }

  print(events: readonly FlotillaEvent[]): void {
    const fresh = events.filter((event) => (this.#printed.get(event.metadata.name) ?? 0) < event.count);
    if (fresh.length === 0) return;
    for (const event of fresh) this.#printed.set(event.metadata.name, event.count);
    const format = this.#options.output ?? 'table';
    const text = formatObjects('Event', fresh, format, { allNamespaces: this.#options.allNamespaces === true, now: Date.now() });
    const tabular = format === 'table' || format === 'wide';
    write(this.#headerDone && tabular ? text.slice(text.indexOf('\n') + 1) : text);
    this.#headerDone = true;
  }
}

export async function runGetEvents(options: GetEventsOptions): Promise<void> {
  const context = commandContext(options);
  const filter = eventFilter(options, context.namespace);
  if (options.watch !== true) {
    const events = await listEvents(context, filter);
    if (events.length === 0 && options.output !== 'json' && options.output !== 'yaml') {
      writeError(noEvents(filter));
      return;
    }
    write(formatObjects('Event', events, options.output ?? 'table', { allNamespaces: options.allNamespaces === true, now: Date.now() }));
    return;
  }
  if (options.output === 'json' || options.output === 'yaml') {
    throw usageError('--watch prints events as rows; use -o wide, name or none with it');
  }
  const printer = new EventPrinter(options);
  // Subscribed before the listing, so nothing that happens in between is missed; what both
  // bring is printed once.
  const early: FlotillaEvent[] = [];
  let follow: ((event: FlotillaEvent) => void) | undefined;
  try {
    await connectToFleet(context.client, (topics) => {
      const view = new FleetView(topics);
      return (topic, payload) => {
        const update = view.apply(topic, payload);
        if (update?.kind !== 'event' || !matchesFilter(update.event, filter)) return;
        const event = eventObject(update.event);
        if (follow === undefined) early.push(event);
        else follow(event);
      };
    });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    writeError(`${error.message}; following events by polling the API every ${POLL_MS / 1000} s instead\n`);
    await pollEvents(context, filter, printer);
    return;
  }
  const listed = await listEvents(context, filter);
  if (listed.length === 0 && early.length === 0) writeError(noEvents(filter));
  printer.print(listed);
  printer.print(early);
  follow = (event) => printer.print([event]);
  return new Promise<void>(() => undefined);
}

async function pollEvents(context: CommandContext, filter: EventFilter, printer: EventPrinter): Promise<void> {
  for (;;) {
    printer.print(await listEvents(context, filter));
    await delay(POLL_MS);
  }
}
