/**
 * The rule of a device's conditions, pure so every edge of it is unit-tested.
 *
 * Ready follows the device's state: True when Ready, False when NotReady, Unknown when
 * Offline. Each pressure condition compares one figure of the last heartbeat with its
 * threshold, with hysteresis: it turns True when the figure reaches the threshold and False
 * only once the figure is a margin below it, so a figure hovering at the threshold does not
 * flap. While the device is not Ready its figures are stale, and its pressure conditions are
 * Unknown, as Kubernetes marks the conditions of a node whose kubelet stopped reporting.
 *
 * A condition is rewritten only when its status changes: its message keeps the figure of
 * that moment, so the store is written on transitions, never per heartbeat.
 */
import type { ConditionStatus, DeviceCondition, DeviceConditionType, DeviceState, DeviceUsage } from '../../../shared/objects.js';
import type { HealthThresholds } from './thresholds.js';

export type PressureType = Exclude<DeviceConditionType, 'Ready'>;

/** How far below its threshold a figure must fall to end the pressure: percentage points, or °C. */
export const PRESSURE_MARGIN: Readonly<Record<PressureType, number>> = Object.freeze({
  MemoryPressure: 5,
  DiskPressure: 5,
  HighTemperature: 5,
});

interface PressureKind {
  type: PressureType;
  threshold: keyof HealthThresholds;
  /** The figure from a heartbeat; undefined when the device does not measure it. */
  figure(usage: DeviceUsage): number | undefined;
  /** `memory 93% in use` */
  describe(value: number): string;
  unit: string;
  /** What the device lacks when it has no figure: "no temperature sensor". */
  missing: string;
  reasons: { above: string; below: string };
}

export const PRESSURE_KINDS: readonly PressureKind[] = [
  {
    type: 'MemoryPressure',
    threshold: 'memoryPressurePercent',
    figure: (usage) => percent(usage.memoryUsedBytes, usage.memoryTotalBytes),
    describe: (value) => `memory ${round(value)}% in use`,
    unit: '%',
    missing: 'no memory figures',
    reasons: { above: 'MemoryAboveThreshold', below: 'MemoryBelowThreshold' },
  },
  {
    type: 'DiskPressure',
    threshold: 'diskPressurePercent',
    figure: (usage) => (usage.diskUsedBytes === undefined || usage.diskTotalBytes === undefined ? undefined : percent(usage.diskUsedBytes, usage.diskTotalBytes)),
    describe: (value) => `disk ${round(value)}% in use`,
    unit: '%',
    missing: 'no disk figures',
    reasons: { above: 'DiskAboveThreshold', below: 'DiskBelowThreshold' },
  },
  {
    type: 'HighTemperature',
    threshold: 'highTemperatureCelsius',
    figure: (usage) => usage.temperatureCelsius,
    describe: (value) => `temperature ${round(value)} °C`,
    unit: ' °C',
    missing: 'no temperature sensor',
    reasons: { above: 'TemperatureAboveThreshold', below: 'TemperatureBelowThreshold' },
  },
];

/** Conditions in the order they are shown: Ready first, as kubectl shows a node's last. */
export const CONDITION_ORDER: readonly DeviceConditionType[] = ['Ready', 'MemoryPressure', 'DiskPressure', 'HighTemperature'];

export interface ConditionInput {
  state: DeviceState;
  /** Why the device is in its state (status.message). */
  stateMessage?: string;
  /** Figures of the last heartbeat; undefined when the hub has none (just restarted). */
  usage: DeviceUsage | undefined;
  thresholds: HealthThresholds;
}

export interface ConditionTransition {
  type: DeviceConditionType;
  from: ConditionStatus | undefined;
  condition: DeviceCondition;
}

export interface ConditionUpdate {
  /** In CONDITION_ORDER. */
  conditions: DeviceCondition[];
  /** The conditions whose status changed: what events are recorded for. */
  transitions: ConditionTransition[];
  /** Whether `conditions` differs from the previous list, so the device must be written. */
  changed: boolean;
}

/**
 * The conditions a device should have now, and which of them changed status. Conditions
 * whose status and reason hold are returned as they were (same message and time).
 */
export function nextConditions(previous: readonly DeviceCondition[] | undefined, input: ConditionInput, now: string): ConditionUpdate {
  const before = new Map((previous ?? []).map((condition) => [condition.type, condition]));
  const wanted = new Map<DeviceConditionType, DeviceCondition>();
  wanted.set('Ready', readyCondition(input, now));
  for (const kind of PRESSURE_KINDS) {
    const condition = pressureCondition(kind, before.get(kind.type), input, now);
    if (condition !== undefined) wanted.set(kind.type, condition);
  }

  const conditions: DeviceCondition[] = [];
  const transitions: ConditionTransition[] = [];
  let changed = (previous ?? []).length !== wanted.size;
  for (const type of CONDITION_ORDER) {
    const next = wanted.get(type);
    if (next === undefined) continue;
    const last = before.get(type);
    if (last !== undefined && last.status === next.status && last.reason === next.reason) {
      conditions.push(last);
      continue;
    }
    changed = true;
    if (last !== undefined && last.status === next.status) {
      // Another cause for the same status (a disk measured at last): no transition.
      conditions.push({ ...next, lastTransitionTime: last.lastTransitionTime ?? now });
      continue;
    }
    conditions.push(next);
    transitions.push({ type, from: last?.status, condition: next });
  }
  return { conditions, transitions, changed };
}

/** The pressure conditions that are True: what keeps new pods off the device. */
export function activePressures(conditions: readonly DeviceCondition[] | undefined): DeviceCondition[] {
  return (conditions ?? []).filter((condition) => condition.type !== 'Ready' && condition.status === 'True');
}

function readyCondition(input: ConditionInput, now: string): DeviceCondition {
  const message = input.stateMessage ?? '';
  switch (input.state) {
    case 'Ready':
      return { type: 'Ready', status: 'True', reason: 'AgentReady', message: message || 'heartbeats on time', lastTransitionTime: now };
    case 'NotReady':
      return { type: 'Ready', status: 'False', reason: 'AgentNotReady', message: message || 'the agent is not reporting', lastTransitionTime: now };
    default:
      return { type: 'Ready', status: 'Unknown', reason: 'DeviceOffline', message: message || 'no contact with the device', lastTransitionTime: now };
  }
}

function pressureCondition(kind: PressureKind, last: DeviceCondition | undefined, input: ConditionInput, now: string): DeviceCondition | undefined {
  if (input.state !== 'Ready') {
    // Nothing to say of a device that never reported figures; a stale figure is not a fact.
    if (last === undefined) return undefined;
    return {
      type: kind.type,
      status: 'Unknown',
      reason: input.state === 'Offline' ? 'DeviceOffline' : 'DeviceNotReady',
      message: `the device is ${input.state}: its figures are not current`,
      lastTransitionTime: now,
    };
  }
  // Just after a hub restart the figures come with the next heartbeat; until then, what was.
  if (input.usage === undefined) return last;
  const value = kind.figure(input.usage);
  const threshold = input.thresholds[kind.threshold];
  if (value === undefined) {
    return { type: kind.type, status: 'False', reason: 'NotMeasured', message: `the device reports ${kind.missing}`, lastTransitionTime: now };
  }
  const wasTrue = last?.status === 'True';
  const above = wasTrue ? value > threshold - PRESSURE_MARGIN[kind.type] : value >= threshold;
  const limit = `${round(threshold)}${kind.unit}`;
  if (above) {
    return { type: kind.type, status: 'True', reason: kind.reasons.above, message: `${kind.describe(value)}, at or above the ${limit} threshold`, lastTransitionTime: now };
  }
  const relief = wasTrue ? `, more than ${PRESSURE_MARGIN[kind.type]}${kind.unit} below the ${limit} threshold` : `, below the ${limit} threshold`;
  return { type: kind.type, status: 'False', reason: kind.reasons.below, message: `${kind.describe(value)}${relief}`, lastTransitionTime: now };
}

function percent(used: number, total: number): number | undefined {
  return total > 0 ? (used / total) * 100 : undefined;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
