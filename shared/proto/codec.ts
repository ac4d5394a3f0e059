/**
 * The only importer of protobufjs. Encodes and decodes the wire messages of
 * `flotilla.proto`; decoding refuses oversized or malformed payloads with a WireError so
 * that one bad device can never take the hub down.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

export interface DeviceInfoMessage {
  arch: string;
  os: string;
  kernel: string;
  hostname: string;
  runtime: string;
  runtimeVersion: string;
  agentVersion: string;
  /** Empty when the agent runs without a firmware profile (or is older than profiles). */
  profile: string;
  /** Null when the device reports none; a field of 0 is one it leaves to the hub. */
  health?: HealthThresholdsMessage | null;
}

export interface HealthThresholdsMessage {
  memoryPressurePercent: number;
  diskPressurePercent: number;
  highTemperatureCelsius: number;
}

export interface CapacityMessage {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

export interface ContainerStatusMessage {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'terminated' | '';
  reason: string;
  message: string;
  exitCode: number;
  restartCount: number;
  startedAtMs: number;
  finishedAtMs: number;
  containerId: string;
  ready: boolean;
}

export interface PodStatusMessage {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  reason: string;
  message: string;
  containers: ContainerStatusMessage[];
}

export interface StatusReportMessage {
  observedGeneration: number;
  pods: PodStatusMessage[];
  /** True from an agent that sends its pods' events itself; the hub then infers none. */
  deviceEvents?: boolean;
}

export interface DeviceEventMessage {
  sequence: number;
  namespace: string;
  name: string;
  uid: string;
  type: string;
  reason: string;
  message: string;
  /** The device's clock, milliseconds since the epoch. */
  atMs: number;
}

export interface EventBatchMessage {
  events: DeviceEventMessage[];
  /** Entries the agent's outbox dropped, oldest first, since the previous batch. */
  dropped: number;
  /** The outbox the sequence numbers count in. */
  stream: string;
}

export interface BirthMessage {
  bdSeq: number;
  /** Sub-messages an older or broken agent left out decode as null. */
  info: DeviceInfoMessage | null;
  capacity: CapacityMessage | null;
  labels: Record<string, string>;
  status: StatusReportMessage | null;
}

export interface DeathMessage {
  bdSeq: number;
  graceful: boolean;
}

export interface HeartbeatMessage {
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  diskUsedBytes: number;
  diskTotalBytes: number;
  temperatureCelsius: number;
  uptimeSeconds: number;
  runningPods: number;
  bdSeq: number;
  sentAtMs: number;
  /** Absent from an agent older than network counters; decoded as 0. */
  networkRxBytes?: number;
  networkTxBytes?: number;
  networkRxBytesPerSecond?: number;
  networkTxBytesPerSecond?: number;
}

export interface EnvVarMessage {
  name: string;
  value: string;
}

export interface PortMessage {
  containerPort: number;
  hostPort: number;
  protocol: string;
}

export interface DesiredContainerMessage {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvVarMessage[];
  ports: PortMessage[];
  cpuMillis: number;
  memoryBytes: number;
  imagePullPolicy: string;
}

export interface DesiredPodMessage {
  namespace: string;
  name: string;
  uid: string;
  restartPolicy: string;
  containers: DesiredContainerMessage[];
  terminationGracePeriodSeconds: number;
}

export interface DesiredStateMessage {
  generation: number;
  pods: DesiredPodMessage[];
}

export type LogRequestAction = 'start' | 'renew' | 'cancel';

export interface LogRequestMessage {
  action: LogRequestAction;
  namespace: string;
  podName: string;
  podUid: string;
  container: string;
  /** Lines from the end; -1 for the whole log. */
  tailLines: number;
  /** Only lines of the last this many seconds; 0 for no limit. */
  sinceSeconds: number;
  follow: boolean;
  timestamps: boolean;
  leaseSeconds: number;
  /** The exchange: answers go to `res/logs/{id}`. */
  id: string;
}

export interface LogChunkMessage {
  sequence: number;
  data: Uint8Array;
  done: boolean;
  /** On a last chunk that ends in failure: an ErrorCode of shared/errors.ts; empty otherwise. */
  errorCode: string;
  error: string;
  hint: string;
}

export interface ContainerUsageMessage {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
}

export interface PodUsageMessage {
  namespace: string;
  name: string;
  uid: string;
  containers: ContainerUsageMessage[];
}

export interface PodStatsReportMessage {
  pods: PodUsageMessage[];
  intervalSeconds: number;
  sampledAtMs: number;
}

/** Message type name → its TypeScript shape: the typed map of the wire protocol. */
export interface WireMessages {
  Birth: BirthMessage;
  Death: DeathMessage;
  Heartbeat: HeartbeatMessage;
  DesiredState: DesiredStateMessage;
  StatusReport: StatusReportMessage;
  EventBatch: EventBatchMessage;
  LogRequest: LogRequestMessage;
  LogChunk: LogChunkMessage;
  PodStatsReport: PodStatsReportMessage;
}
export type WireMessageName = keyof WireMessages;

/** Larger payloads are refused before decoding (a desired state of ~100 pods fits easily). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export class WireError extends Error {
  override readonly name = 'WireError';
}

const root = protobuf.parse(readFileSync(new URL('./flotilla.proto', import.meta.url), 'utf8')).root;

const types = new Map<WireMessageName, protobuf.Type>();
function typeOf(name: WireMessageName): protobuf.Type {
  let type = types.get(name);
  if (type === undefined) {
    type = root.lookupType(`flotilla.v1.${name}`);
    types.set(name, type);
  }
  return type;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

export function encode<N extends WireMessageName>(name: N, message: Partial<WireMessages[N]>): Uint8Array {
  const type = typeOf(name);
  const problem = type.verify(message as Record<string, unknown>);
  if (problem !== null) throw new WireError(`cannot encode ${name}: ${problem}`);
  return type.encode(type.fromObject(message as Record<string, unknown>)).finish();
}

export function decode<N extends WireMessageName>(name: N, payload: Uint8Array): WireMessages[N] {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw new WireError(`${name} payload of ${payload.byteLength} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit`);
  }
  const type = typeOf(name);
  try {
    return type.toObject(type.decode(payload), TO_OBJECT) as WireMessages[N];
  } catch (error) {
    throw new WireError(`malformed ${name} payload: ${(error as Error).message}`);
  }
}
