/**
 * `flotilla watch [-l selector] [--once]`: the fleet live from its MQTT topics. On a terminal,
 * a table that redraws (the summary, the devices, the latest events); otherwise, the table
 * once and then a line per change, for logs and pipes. `--once` prints the table and exits.
 */
import type { FleetDeviceHealth, FleetEvent } from '../../../shared/fleet.js';
import { parseSelector, SelectorSyntaxError, type Selector } from '../../../shared/selector.js';
import { commandContext, write, writeError } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { connectToFleet, type FleetConnection } from '../fleet-connection.js';
import { deviceLine, eventLine, selectionLine, summaryLines, watchTable } from '../format/fleet-watch.js';
import { FleetView, type FleetUpdate } from '../watch/fleet-view.js';

export interface WatchOptions extends GlobalOptions {
  selector?: string;
  once?: boolean;
}

export interface WatchOutput {
  write(text: string): void;
  /** A terminal: the view redraws in place. */
  terminal: boolean;
  now(): number;
}

/** The retained messages of a new subscription are in once none has come for this long. */
const QUIET_MS = 1_000;
/** Longest wait for them, on a hub with many devices or a slow link. */
const SNAPSHOT_DEADLINE_MS = 20_000;
const REDRAW_MS = 250;
const TICK_MS = 1_000;
const EVENTS_SHOWN = 10;

function selectorOf(text: string | undefined): Selector | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseSelector(text);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) throw usageError(`invalid --selector "${text}": ${error.problem}`);
    throw error;
  }
}

/** What is shown of the fleet: the selected devices, and the events about them. */
export class WatchScreen {
  readonly view: FleetView;
  readonly #selector: Selector | undefined;
  readonly #events: FleetEvent[] = [];

  constructor(view: FleetView, selector: Selector | undefined) {
    this.view = view;
    this.#selector = selector;
  }

  selects(device: FleetDeviceHealth): boolean {
    return this.#selector === undefined || this.#selector.matches(device.labels);
  }

  /** Events about a selected device; with no selector, every event. */
  shows(event: FleetEvent): boolean {
    if (this.#selector === undefined) return true;
    const device = event.device === undefined ? undefined : this.view.devices.get(event.device);
    return device !== undefined && this.selects(device);
  }

  selected(): FleetDeviceHealth[] {
    return [...this.view.devices.values()].filter((device) => this.selects(device));
  }

  remember(event: FleetEvent): void {
    this.#events.push(event);
    if (this.#events.length > EVENTS_SHOWN) this.#events.shift();
  }

  /** The summary, the selection, the device table. */
  snapshot(now: number): string {
    const lines = this.view.summary === undefined ? ['devices: no fleet summary yet'] : summaryLines(this.view.summary);
    const devices = this.selected();
    if (this.#selector !== undefined) lines.push(`${selectionLine(devices)} by ${this.#selector.toString()}`);
    const table = devices.length === 0 ? 'No devices found\n' : watchTable(devices, now);
    return `${lines.join('\n')}\n\n${table}`;
  }

  /** The whole screen of a terminal: the snapshot and the latest events. */
  screen(now: number): string {
    const events = this.#events.length === 0 ? ['(none yet)'] : this.#events.map(eventLine);
    return `${this.snapshot(now)}\nEVENTS\n${events.join('\n')}\n`;
  }

  /** A line for output that is not a terminal; undefined for a change it does not show. */
  line(update: FleetUpdate, now: number): string | undefined {
    switch (update.kind) {
      case 'summary':
        return `summary: ${summaryLines(update.summary).join('; ')}\n`;
      case 'device':
        return this.selects(update.device) ? `device: ${deviceLine(update.device, now)}\n` : undefined;
      case 'device-removed':
        return this.#selector === undefined ? `device: ${update.name} removed from the fleet\n` : undefined;
      case 'event':
        return this.shows(update.event) ? `event: ${eventLine(update.event)}\n` : undefined;
    }
  }
}

/** Resolves once the retained documents are in: all the summary counts, or none came for a while. */
function snapshotArrived(view: FleetView, messages: { onMessage: () => void }): Promise<void> {
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      messages.onMessage = () => undefined;
      resolve();
    };
    const deadline = setTimeout(done, SNAPSHOT_DEADLINE_MS);
    const restartQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, QUIET_MS);
    };
    messages.onMessage = () => {
      if (view.complete()) done();
      else restartQuiet();
    };
    restartQuiet();
  });
}

export async function runWatch(options: WatchOptions, output: WatchOutput = defaultOutput()): Promise<void> {
  const selector = selectorOf(options.selector);
  const context = commandContext(options);
  let screen: WatchScreen | undefined;
  const arrivals = { onMessage: (): void => undefined };
  let live: ((update: FleetUpdate) => void) | undefined;
  const connection: FleetConnection = await connectToFleet(context.client, (topics) => {
    const view = new FleetView(topics);
    screen = new WatchScreen(view, selector);
    return (topic, payload) => {
      const update = view.apply(topic, payload);
      arrivals.onMessage();
      if (update !== undefined) live?.(update);
    };
  });
  const shown = screen as WatchScreen;
  await snapshotArrived(shown.view, arrivals);
  if (options.once === true) {
    await connection.close();
    if (shown.view.summary === undefined && shown.view.devices.size === 0) {
      writeError(`nothing on the fleet topics of ${connection.brokerUrl} yet: is the hub publishing them?\n`);
      process.exitCode = 1;
    }
    output.write(shown.snapshot(output.now()));
    return;
  }
  if (!output.terminal) {
    output.write(shown.snapshot(output.now()));
    live = (update) => {
      const line = shown.line(update, output.now());
      if (line !== undefined) output.write(line);
    };
    return new Promise<void>(() => undefined);
  }
  let redraw: NodeJS.Timeout | undefined;
  const draw = () => {
    redraw = undefined;
    // Home, clear, then the whole screen: a terminal redraws it in one go.
    output.write(`\x1b[H\x1b[2J${shown.screen(output.now())}`);
  };
  live = (update) => {
    if (update.kind === 'event' && shown.shows(update.event)) shown.remember(update.event);
    redraw ??= setTimeout(draw, REDRAW_MS);
  };
  draw();
  // Ages (LAST-SEEN) move on without any message.
  setInterval(() => (redraw ??= setTimeout(draw, 0)), TICK_MS);
  return new Promise<void>(() => undefined);
}

function defaultOutput(): WatchOutput {
  return { write, terminal: process.stdout.isTTY === true, now: Date.now };
}
