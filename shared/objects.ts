/**
 * Object types in the Kubernetes shape. Manifests people write and objects the hub stores
 * share these types; `status` is written by the hub and the agents, never by `apply`.
 */

export type Labels = Record<string, string>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  /** Namespaced kinds default to "default"; cluster-scoped kinds (Device) have none. */
  namespace?: string;
  uid?: string;
  /** Opaque to clients; a write that carries a stale one is a conflict. */
  resourceVersion?: string;
  /** Bumped by the store whenever `spec` changes. */
  generation?: number;
  creationTimestamp?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface TypedObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** `{cpu: "500m", memory: "128Mi"}` as in Kubernetes. */
export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface ResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
}

export interface ContainerPort {
  containerPort: number;
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
  name?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  /** A value kept in a Secret of the pod's namespace, resolved by the hub for the pod's device only. */
  valueFrom?: { secretKeyRef: SecretKeySelector };
}

export interface SecretKeySelector {
  /** The Secret's name, in the pod's namespace. */
  name: string;
  key: string;
  /** When true, a missing Secret or key leaves the variable unset instead of holding the pod back. */
  optional?: boolean;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface Container {
  name: string;
  image: string;
  /** Replaces the image's entrypoint, as in Kubernetes. */
  command?: string[];
  /** Replaces the image's cmd, as in Kubernetes. */
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  imagePullPolicy?: PullPolicy;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** The structured selector of `Deployment.spec.selector`. */
export interface LabelSelectorObject {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * A taint marks a device that pods should stay off (NoSchedule) or leave (NoExecute) unless
 * they tolerate it. The hub sets one itself: `flotilla.io/unreachable:NoExecute` on a device
 * that has gone Offline.
 */
export type TaintEffect = 'NoSchedule' | 'NoExecute';

/** The taint of a device that has been Offline (no contact past the hub's offline threshold). */
export const UNREACHABLE_TAINT_KEY = 'flotilla.io/unreachable';
/** Kubernetes' name for the same taint, accepted in tolerations since manifests are copied. */
export const KUBERNETES_UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';

/**
 * How long a pod stays on a device that went Offline when it has no toleration for it, as
 * Kubernetes' DefaultTolerationSeconds gives every pod.
 */
export const DEFAULT_UNREACHABLE_TOLERATION_SECONDS = 300;

/** As in Kubernetes: which taints a pod puts up with, and for how long. */
export interface Toleration {
  /** The taint key; empty (with operator Exists) matches every key. */
  key?: string;
  /** Equal (the default) compares `value`; Exists matches any value. */
  operator?: 'Exists' | 'Equal';
  value?: string;
  /** Absent: every effect. */
  effect?: TaintEffect;
  /**
   * For NoExecute only: how long the pod stays once the taint is on its device. Absent with
   * the toleration present: for ever.
   */
  tolerationSeconds?: number;
}

export interface PodSpec {
  containers: Container[];
  restartPolicy?: RestartPolicy;
  /** Devices whose labels include all of these. */
  nodeSelector?: Labels;
  /** A label selector string, `role=camera,site in (a,b),!decommissioned`; ANDed with nodeSelector. */
  deviceSelector?: string;
  /** The device the pod is bound to; set by the scheduler, or by hand to skip it. */
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  tolerations?: Toleration[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  state: ContainerState;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface PodCondition {
  type: 'PodScheduled' | 'Ready';
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase: PodPhase;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  reason?: string;
  message?: string;
  startTime?: string;
  /** The device's desired-state generation of the report that last changed this status. */
  observedGeneration?: number;
}

export interface Pod extends TypedObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** A count, or a share of a whole written as a percentage string: `3` or `"25%"`. */
export type IntOrPercent = number | string;

export interface RollingUpdateParams {
  /** Pods above the target allowed during an update. Deployment default 25%, DaemonSet 0. */
  maxSurge?: IntOrPercent;
  /** Pods below the target allowed during an update. Deployment default 25%, DaemonSet 1. */
  maxUnavailable?: IntOrPercent;
}

/**
 * One stage of a staged rollout (Flotilla's extension of the Kubernetes strategy). Sizes are
 * cumulative: waves `1`, `10%`, `50%`, `100%` mean one canary pod, then a tenth of the
 * workload's pods, half, all. A wave succeeds when its pods have been Ready for the
 * workload's `minReadySeconds`; pods on Offline devices are pending and never hold it up.
 */
export interface RolloutWave {
  /** Pods of the new revision once this wave is done: a count, or a share of the target. */
  size: IntOrPercent;
  /**
   * After the wave succeeded: `{ seconds: N }` waits N seconds before the next; `{}` waits
   * for `flotilla rollout resume`. Absent: the next wave starts at once.
   */
  pause?: { seconds?: number };
}

/** What the rollout of a new revision may do; shared by Deployment and DaemonSet. */
export interface StagedRolloutParams {
  /** Absent: one wave of 100%. The last wave must be 100%. */
  waves?: RolloutWave[];
  /**
   * More failed updated pods than this (a count, or a share of the updated pods) stops the
   * rollout. A pod has failed when it crashed, could not start, or was not Ready within
   * `progressDeadlineSeconds` on a device that is online. Absent: a rollout never stops.
   */
  failureThreshold?: IntOrPercent;
  /** When the failure threshold stops the rollout, go back to the previous revision. */
  rollbackOnFailure?: boolean;
}

export interface DeploymentStrategy extends StagedRolloutParams {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: RollingUpdateParams;
}

/** Fields every workload that rolls out revisions of a pod template has. */
export interface WorkloadRolloutSpec {
  /** A pod counts as available, and a wave as done, once Ready this long. Default 0. */
  minReadySeconds?: number;
  /** An updated pod not Ready this long after it was bound, on an online device, has failed. Default 600. */
  progressDeadlineSeconds?: number;
  /** Stops the rollout where it is (`flotilla rollout pause`); scaling goes on. */
  paused?: boolean;
  /** Old revisions kept for `rollout undo`. Default 10. */
  revisionHistoryLimit?: number;
}

export interface DeploymentSpec extends WorkloadRolloutSpec {
  replicas?: number;
  selector?: LabelSelectorObject;
  template: PodTemplate;
  strategy?: DeploymentStrategy;
}

export type RolloutPhase = 'Progressing' | 'Paused' | 'Complete' | 'Failed' | 'RolledBack';

/** Where the rollout of a workload's current revision stands; written by its controller. */
export interface RolloutStatus {
  /** The revision being rolled out (that of the current template). */
  revision: number;
  phase: RolloutPhase;
  /** 1-based index of the wave in progress (or last done), and how many there are. */
  wave: number;
  waves: number;
  /** Pods the workload wants in all (replicas, or devices for a DaemonSet). */
  target: number;
  /** Pods of the current revision, those of them Ready, and those of them failed. */
  updated: number;
  ready: number;
  failed: number;
  /** Pods that wait for an Offline device: they update when it comes back. */
  pending: number;
  /** ISO time the current wave started, and the end of a timed pause after it. */
  waveStartedAt?: string;
  pausedUntil?: string;
  /**
   * ISO time the wave `wave` succeeded, while the next one waits for the wave's pause (to
   * end, or for `flotilla rollout resume`); absent otherwise.
   */
  waveSucceededAt?: string;
  /** When the rollout went back: the revision that failed. */
  rolledBackFrom?: number;
  /** One line for people: what the rollout waits for, or why it stopped. */
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  rollout?: RolloutStatus;
}

export interface Deployment extends TypedObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface DaemonSetUpdateStrategy extends StagedRolloutParams {
  /** OnDelete: a pod gets the new template only when it is deleted. */
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: RollingUpdateParams;
}

/**
 * One pod on every device that matches the template's `nodeSelector`/`deviceSelector` and
 * whose taints the pod tolerates. Its pods are never evicted: they belong to their device.
 */
export interface DaemonSetSpec extends WorkloadRolloutSpec {
  selector?: LabelSelectorObject;
  template: PodTemplate;
  updateStrategy?: DaemonSetUpdateStrategy;
}

export interface DaemonSetStatus {
  observedGeneration?: number;
  /** Devices that should run the pod. */
  desiredNumberScheduled: number;
  /** Devices that run a pod of it, whichever revision. */
  currentNumberScheduled: number;
  /** Devices that run a pod of it they should not (they lost the label). */
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  rollout?: RolloutStatus;
}

export interface DaemonSet extends TypedObject {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}

/**
 * A revision of a workload's pod template, as Kubernetes keeps for DaemonSets: what
 * `rollout history` lists and `rollout undo` goes back to. Owned by its workload; named
 * `<workload>-<template hash>`, which pods of it carry as their `pod-template-hash` label.
 */
export interface ControllerRevision extends TypedObject {
  apiVersion: 'apps/v1';
  kind: 'ControllerRevision';
  /** The template, as the workload had it. */
  data: { template: PodTemplate };
  /** 1, 2, …; a revision brought back by undo gets the next number, as in Kubernetes. */
  revision: number;
}

export type DeviceState = 'Ready' | 'NotReady' | 'Offline';

export interface DeviceInfo {
  arch: string;
  os: string;
  kernel: string;
  hostname: string;
  runtime: string;
  runtimeVersion: string;
  agentVersion: string;
  /** The firmware profile the agent runs with; empty or absent for none. */
  profile?: string;
  /** Where the device's pressure conditions begin, as its profile or agent flags set them; absent: the hub's settings. */
  health?: DeviceHealthThresholds;
}

/** Thresholds of a device's pressure conditions; a field left out takes the hub's setting. */
export interface DeviceHealthThresholds {
  /** Memory in use, percent of the total, from which the device is under MemoryPressure. */
  memoryPressurePercent?: number;
  /** Disk in use, percent of the root filesystem, from which it is under DiskPressure. */
  diskPressurePercent?: number;
  /** CPU or SoC temperature, °C, from which it has HighTemperature. */
  highTemperatureCelsius?: number;
}

export interface DeviceCapacity {
  /** Cores, as a Kubernetes quantity ("4"). */
  cpu: string;
  /** Bytes, as a Kubernetes quantity ("8053063680"). */
  memory: string;
  pods: number;
}

/** Live figures from the last heartbeat; kept in memory by the hub, merged in on reads. */
export interface DeviceUsage {
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  diskUsedBytes?: number;
  diskTotalBytes?: number;
  temperatureCelsius?: number;
  uptimeSeconds?: number;
  /** Bytes received and sent over the device's main network interfaces since boot, and their rates. */
  networkRxBytes?: number;
  networkTxBytes?: number;
  networkRxBytesPerSecond?: number;
  networkTxBytesPerSecond?: number;
}

/**
 * A taint people put on a device, as on a Kubernetes node: pods that do not tolerate it are
 * not scheduled there. `flotilla.io/unreachable` is the hub's own and cannot be set by hand.
 */
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface DeviceSpec {
  /** Cordoned: no new pods are scheduled onto it. */
  unschedulable?: boolean;
  /** A pod stays off the device unless it tolerates every one of these, whatever their effect. */
  taints?: Taint[];
}

/** The certificate a device enrolled with: the only one the broker accepts for it. */
export interface DeviceIdentity {
  /** `sha256:<hex>` of the certificate's DER bytes. */
  certificateFingerprint: string;
  /** ISO time the certificate stops being valid. */
  notAfter: string;
  /** ISO time of the enrolment. */
  enrolledAt: string;
  /** The join token it enrolled with (its id, never its secret). */
  joinToken: string;
}

export interface DeviceStatus {
  state: DeviceState;
  /** Set when the device enrolled with a join token; absent for devices on a plain development listener. */
  identity?: DeviceIdentity;
  /** Why the device is in its state, for people. */
  message?: string;
  info?: DeviceInfo;
  capacity?: DeviceCapacity;
  usage?: DeviceUsage;
  /** ISO time the hub last heard from the device (the hub's clock, never the device's). */
  lastSeen?: string;
  /** Birth/death sequence of the device's current MQTT session. */
  bdSeq?: number;
  /** Desired-state generation the device last reported as applied. */
  observedGeneration?: number;
  /** Generation of the desired state the hub last sent the device; the device is in step when it equals observedGeneration. */
  desiredGeneration?: number;
  podCount?: number;
  /**
   * ISO time (the hub's clock) the device went Offline; absent while it is not. From then on
   * it carries the `flotilla.io/unreachable:NoExecute` taint, and pods that do not tolerate
   * it for that long are evicted.
   */
  offlineSince?: string;
  /** Ready and the pressure conditions, as Kubernetes' NodeConditions; written when one changes. */
  conditions?: DeviceCondition[];
}

export type DeviceConditionType = 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'HighTemperature';

/**
 * One condition of a device, in the shape of a Kubernetes NodeCondition. Ready follows the
 * device's state (Unknown while Offline); a pressure condition is True while the device's
 * figures are past its threshold, and Unknown while the device is not Ready.
 */
export interface DeviceCondition {
  type: DeviceConditionType;
  status: ConditionStatus;
  /** One CamelCase word: AgentReady, MemoryPressureHigh, ... */
  reason?: string;
  /** For people: the figure and the threshold at the last transition. */
  message?: string;
  /** ISO time (the hub's clock) the status last changed. */
  lastTransitionTime?: string;
}

export interface Device extends TypedObject {
  apiVersion: 'flotilla.io/v1';
  kind: 'Device';
  spec?: DeviceSpec;
  status?: DeviceStatus;
}

export interface ObjectReference {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface FlotillaEvent extends TypedObject {
  apiVersion: 'v1';
  kind: 'Event';
  involvedObject: ObjectReference;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: string;
}

/**
 * Named values pods take as environment variables. `data` holds base64 as in Kubernetes;
 * `stringData` is accepted on apply and folded into `data`. The store keeps Secrets
 * encrypted, the API never returns their values, and a device receives only the values its
 * own pods reference.
 */
export interface Secret extends TypedObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** What an API bearer token may do: `viewer` reads, `operator` also changes workloads, `admin` everything. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A join token as the hub keeps it: named by its id, with a hash of its secret, never the
 * secret itself. `spec.uses` absent: unlimited; `spec.expiresAt` absent: never expires.
 */
export interface JoinToken extends TypedObject {
  apiVersion: 'flotilla.io/v1';
  kind: 'JoinToken';
  spec: { secretHash: string; labels: Labels; expiresAt?: string; uses?: number; revoked?: boolean };
  status?: { used: number; lastUsedAt?: string; devices?: string[] };
}

/**
 * An API bearer token (also the MQTT password of a read-only watcher), named for who holds it.
 * The hub keeps a hash of its secret only.
 */
export interface AccessToken extends TypedObject {
  apiVersion: 'flotilla.io/v1';
  kind: 'AccessToken';
  spec: { role: Role; secretHash: string; expiresAt?: string };
}

export type AnyObject = Pod | Deployment | DaemonSet | ControllerRevision | Device | FlotillaEvent | Secret | JoinToken | AccessToken;

/** A reference to an object, as Events and owners name it. */
export function referenceTo(object: TypedObject): ObjectReference {
  const reference: ObjectReference = { kind: object.kind, name: object.metadata.name };
  if (object.metadata.namespace !== undefined) reference.namespace = object.metadata.namespace;
  if (object.metadata.uid !== undefined) reference.uid = object.metadata.uid;
  return reference;
}

/** Every kind the hub stores, with its API group and whether it lives in a namespace. */
export const KINDS = {
  Pod: { apiVersion: 'v1', plural: 'pods', namespaced: true },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  ControllerRevision: { apiVersion: 'apps/v1', plural: 'controllerrevisions', namespaced: true },
  Device: { apiVersion: 'flotilla.io/v1', plural: 'devices', namespaced: false },
  Event: { apiVersion: 'v1', plural: 'events', namespaced: true },
  Secret: { apiVersion: 'v1', plural: 'secrets', namespaced: true },
  JoinToken: { apiVersion: 'flotilla.io/v1', plural: 'jointokens', namespaced: false },
  AccessToken: { apiVersion: 'flotilla.io/v1', plural: 'accesstokens', namespaced: false },
} as const satisfies Record<string, { apiVersion: string; plural: string; namespaced: boolean }>;

export type Kind = keyof typeof KINDS;

export const DEFAULT_NAMESPACE = 'default';

/** Kinds a user may `apply`; the rest are written by the hub itself. */
export const APPLIABLE_KINDS: readonly Kind[] = ['Pod', 'Deployment', 'DaemonSet', 'Device', 'Secret'];

/** Kinds only an admin may read: they describe who may join the fleet and reach the API. */
export const CREDENTIAL_KINDS: readonly Kind[] = ['JoinToken', 'AccessToken'];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

export function kindForPlural(plural: string): Kind | undefined {
  const singular = plural.toLowerCase();
  for (const [kind, meta] of Object.entries(KINDS) as [Kind, (typeof KINDS)[Kind]][]) {
    if (meta.plural === singular || kind.toLowerCase() === singular) return kind;
  }
  const shortNames: Record<string, Kind> = { po: 'Pod', deploy: 'Deployment', ds: 'DaemonSet', dev: 'Device', ev: 'Event', token: 'JoinToken', tokens: 'JoinToken' };
  return shortNames[singular];
}

/** The store key of an object: `namespace/name`, or just `name` for cluster-scoped kinds. */
export function objectKey(kind: Kind, namespace: string | undefined, name: string): string {
  return KINDS[kind].namespaced ? `${namespace ?? DEFAULT_NAMESPACE}/${name}` : name;
}
