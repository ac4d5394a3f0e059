/**
 * What the hub knows of each device's connection, in memory: heartbeats arrive every few
 * seconds from every device, and writing each one to the store would make the hub's cost
 * per device a disk write per beat. The store gets a device's state only when it changes.
 */
import type { BirthMessage, HeartbeatMessage } from '../../../shared/proto/codec.js';
import type { DeviceState, DeviceUsage } from '../../../shared/objects.js';

export interface Liveness {
  bdSeq: number;
  /** Hub clock, epoch ms. The device's clock is never trusted for liveness. */
  lastSeenMs: number;
  /** False after a death of the current session. */
  connected: boolean;
  gracefulStop: boolean;
  usage?: DeviceUsage;
  runningPods?: number;
  /** Desired-state generation the device last reported as applied. */
  observedGeneration?: number;
  /** The last birth not yet written to the store. */
  birth?: BirthMessage;
}

export interface LivenessThresholds {
  notReadyAfterMs: number;
  offlineAfterMs: number;
}

/**
 * The state a device should be in now, and why: pure, so every edge of it is unit-tested.
 * Messages name thresholds, not elapsed time, so they change only when the state does.
 */
export function livenessState(live: Liveness, now: number, thresholds: LivenessThresholds): { state: DeviceState; message: string } {
  const silentMs = now - live.lastSeenMs;
  if (silentMs >= thresholds.offlineAfterMs) {
    return { state: 'Offline', message: `no contact for more than ${seconds(thresholds.offlineAfterMs)}` };
  }
  if (!live.connected) {
    return { state: 'NotReady', message: live.gracefulStop ? 'agent stopped' : 'connection lost (MQTT Last Will)' };
  }
  if (silentMs >= thresholds.notReadyAfterMs) {
    return { state: 'NotReady', message: `no heartbeat for more than ${seconds(thresholds.notReadyAfterMs)}` };
  }
  return { state: 'Ready', message: 'heartbeats on time' };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

export function usageOf(heartbeat: HeartbeatMessage): DeviceUsage {
  const usage: DeviceUsage = {
    cpuPercent: heartbeat.cpuPercent,
    memoryUsedBytes: heartbeat.memoryUsedBytes,
    memoryTotalBytes: heartbeat.memoryTotalBytes,
    uptimeSeconds: heartbeat.uptimeSeconds,
  };
  if (heartbeat.diskTotalBytes > 0) {
    usage.diskUsedBytes = heartbeat.diskUsedBytes;
    usage.diskTotalBytes = heartbeat.diskTotalBytes;
  }
  if (heartbeat.temperatureCelsius !== 0) usage.temperatureCelsius = heartbeat.temperatureCelsius;
  // 0 from an agent that does not count its network traffic (older, or a board without counters).
  if ((heartbeat.networkRxBytes ?? 0) > 0 || (heartbeat.networkTxBytes ?? 0) > 0) {
    usage.networkRxBytes = heartbeat.networkRxBytes ?? 0;
    usage.networkTxBytes = heartbeat.networkTxBytes ?? 0;
    usage.networkRxBytesPerSecond = heartbeat.networkRxBytesPerSecond ?? 0;
    usage.networkTxBytesPerSecond = heartbeat.networkTxBytesPerSecond ?? 0;
  }
  return usage;
}
