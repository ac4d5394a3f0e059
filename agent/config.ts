/**
 * Settings of an agent. Every field but the device name has a default; the CLI fills them
 * from flags and FLOTILLA_* environment variables.
 */
import type { DeviceHealthThresholds } from '../shared/objects.js';
import { DEFAULT_TOPIC_PREFIX } from '../shared/topics.js';

export interface AgentOptions {
  /** The device's name in the fleet: a DNS label, unique per hub. */
  name: string;
  /** The hub's MQTT broker, `mqtt://hub.local:1883`. */
  hubUrl: string;
  /** Labels the device announces in its birth; the hub keeps them unless changed there. */
  labels: Record<string, string>;
  /** Runtime adapter name (see agent/runtime/registry.ts). */
  runtime: string;
  /** Engine API endpoint; found automatically when absent. */
  runtimeEndpoint?: string;
  /** Local state (last desired document, restart counts): survives reboots. */
  stateDir: string;
  heartbeatSeconds: number;
  topicPrefix: string;
  /** First restart delay of a crashing container; doubles up to maxBackoffSeconds. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
  /** Full resync with the runtime even when nothing was signalled. */
  resyncSeconds: number;
  logLevel: string;
  /** A join token: on first start the agent enrols with it and keeps the identity it gets. */
  token?: string;
  /** The hub's CA (PEM file) from an install bundle, used at enrolment instead of fetching it. */
  caFile?: string;
  /** The firmware profile these settings came from, with what it keeps back for the system. */
  profile?: { name: string; reserved: { cpuMillis: number; memoryBytes: number } };
  /** Seconds between reports of each pod's CPU and memory (`flotilla top pods`). */
  podStatsSeconds: number;
  /** Thresholds of the device's pressure conditions, from its profile or flags, told to the hub at birth; absent: the hub's. */
  health?: DeviceHealthThresholds;
}

export const defaultAgentOptions: Omit<AgentOptions, 'name'> = {
  hubUrl: 'mqtt://localhost:1883',
  labels: {},
  runtime: 'docker',
  stateDir: '.flotilla/agent',
  heartbeatSeconds: 10,
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  // As the kubelet: 10 s doubling to 5 minutes.
  backoffSeconds: 10,
  maxBackoffSeconds: 300,
  resyncSeconds: 30,
  logLevel: 'info',
  podStatsSeconds: 30,
};
