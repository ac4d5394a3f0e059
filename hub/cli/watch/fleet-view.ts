/**
 * The fleet as a watcher sees it from the fleet topics: the last summary, every device's
 * last health document, and each event as it comes. Pure: messages in, what changed out;
 * `flotilla watch` and `get events --watch` draw from it.
 */
import {
  FLEET_DEVICE_SCHEMA,
  FLEET_EVENT_SCHEMA,
  FLEET_SUMMARY_SCHEMA,
  type FleetDeviceHealth,
  type FleetEvent,
  type FleetSummary,
} from '../../../shared/fleet.js';
import type { Topics } from '../../../shared/topics.js';

export type FleetUpdate =
  | { kind: 'summary'; summary: FleetSummary }
  | { kind: 'device'; name: string; device: FleetDeviceHealth }
  | { kind: 'device-removed'; name: string }
  | { kind: 'event'; event: FleetEvent };

export class FleetView {
  readonly #topics: Topics;
  summary: FleetSummary | undefined;
  readonly devices = new Map<string, FleetDeviceHealth>();
  /** Payloads skipped: not JSON, or of a schema this CLI does not know (a newer hub's). */
  skipped = 0;

  constructor(topics: Topics) {
    this.#topics = topics;
  }

  /** Takes one message of a fleet topic; undefined when it changed nothing this view shows. */
  apply(topic: string, payload: Buffer): FleetUpdate | undefined {
    const fleetTopic = this.#topics.parseFleet(topic);
    if (fleetTopic === undefined) return undefined;
    if (fleetTopic.topic === 'device' && payload.length === 0) {
      // An empty retained message: the device was removed from the fleet.
      return this.devices.delete(fleetTopic.device) ? { kind: 'device-removed', name: fleetTopic.device } : undefined;
    }
    const value = parseJson(payload);
    if (fleetTopic.topic === 'summary' && hasSchema(value, FLEET_SUMMARY_SCHEMA)) {
      this.summary = value as FleetSummary;
      return { kind: 'summary', summary: this.summary };
    }
    if (fleetTopic.topic === 'device' && hasSchema(value, FLEET_DEVICE_SCHEMA)) {
      const device = value as FleetDeviceHealth;
      this.devices.set(fleetTopic.device, device);
      return { kind: 'device', name: fleetTopic.device, device };
    }
    if (fleetTopic.topic === 'events' && hasSchema(value, FLEET_EVENT_SCHEMA)) {
      return { kind: 'event', event: value as FleetEvent };
    }
    this.skipped++;
    return undefined;
  }

  /**
   * Whether every device the summary counts has its document here: the retained messages a
   * new subscription gets have all arrived (MQTT itself never says when they are done).
   */
  complete(): boolean {
    return this.summary !== undefined && this.devices.size >= this.summary.devices.total;
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function hasSchema(value: unknown, schema: string): boolean {
  return typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === schema;
}
