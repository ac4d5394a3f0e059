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

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxSurge?: number; maxUnavailable?: number };
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelectorObject;
  template: PodTemplate;
  strategy?: DeploymentStrategy;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

export interface Deployment extends TypedObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
  status?: DeploymentStatus;
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
}

export interface DeviceSpec {
  /** Cordoned: no new pods are scheduled onto it. */
  unschedulable?: boolean;
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

export type AnyObject = Pod | Deployment | Device | FlotillaEvent | Secret | JoinToken | AccessToken;

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
  Device: { apiVersion: 'flotilla.io/v1', plural: 'devices', namespaced: false },
  Event: { apiVersion: 'v1', plural: 'events', namespaced: true },
  Secret: { apiVersion: 'v1', plural: 'secrets', namespaced: true },
  JoinToken: { apiVersion: 'flotilla.io/v1', plural: 'jointokens', namespaced: false },
  AccessToken: { apiVersion: 'flotilla.io/v1', plural: 'accesstokens', namespaced: false },
} as const satisfies Record<string, { apiVersion: string; plural: string; namespaced: boolean }>;

export type Kind = keyof typeof KINDS;

export const DEFAULT_NAMESPACE = 'default';

/** Kinds a user may `apply`; the rest are written by the hub itself. */
export const APPLIABLE_KINDS: readonly Kind[] = ['Pod', 'Deployment', 'Device', 'Secret'];

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
  const shortNames: Record<string, Kind> = { po: 'Pod', deploy: 'Deployment', dev: 'Device', ev: 'Event', token: 'JoinToken', tokens: 'JoinToken' };
  return shortNames[singular];
}

/** The store key of an object: `namespace/name`, or just `name` for cluster-scoped kinds. */
export function objectKey(kind: Kind, namespace: string | undefined, name: string): string {
  return KINDS[kind].namespaced ? `${namespace ?? DEFAULT_NAMESPACE}/${name}` : name;
}
