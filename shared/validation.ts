/**
 * Validation and defaulting of the manifests people apply: Pod, Deployment, DaemonSet, Device
 * and Secret.
 *
 * `validateManifest` reads untrusted input (parsed YAML or JSON) and either returns a new,
 * defaulted object or throws one Invalid error that lists every problem found, each with its
 * field path (`spec.template.spec.containers[0].image`, `metadata.labels["bad key"]`).
 *
 * The rules follow Kubernetes where Flotilla has the same field, with strict field validation:
 * an unknown field is an error (with "did you mean" for typos), never silently dropped.
 * `status` is dropped (only the hub writes it); so are the metadata fields the server sets
 * (uid, generation, creationTimestamp...), except resourceVersion, which makes the write
 * conditional. A field set to null counts as not set, as in Kubernetes.
 *
 * A Secret's values never appear in a message: a problem with one names its field and says
 * what is wrong, never what was given.
 */
import { FlotillaError, invalid } from './errors.js';
import type { FieldError } from './errors.js';
import { dnsLabelProblem, dnsSubdomainProblem, labelKeyProblem, labelValueProblem } from './labels.js';
import { APPLIABLE_KINDS, DEFAULT_NAMESPACE, KINDS, KUBERNETES_UNREACHABLE_TAINT_KEY, UNREACHABLE_TAINT_KEY, isKind } from './objects.js';
import type {
  AnyObject,
  Container,
  ContainerPort,
  DaemonSet,
  DaemonSetSpec,
  Deployment,
  DeploymentSpec,
  Device,
  DeviceSpec,
  EnvVar,
  IntOrPercent,
  Kind,
  LabelSelectorObject,
  LabelSelectorRequirement,
  Labels,
  ObjectMeta,
  Pod,
  PodSpec,
  PodTemplate,
  PullPolicy,
  ResourceList,
  ResourceRequirements,
  RestartPolicy,
  RollingUpdateParams,
  RolloutWave,
  Secret,
  SecretKeySelector,
  StagedRolloutParams,
  TaintEffect,
  Toleration,
  WorkloadRolloutSpec,
} from './objects.js';
import { parseCpu, parseMemory } from './quantity.js';
import { SelectorSyntaxError, parseSelector, selectorFromObject } from './selector.js';
import type { Selector } from './selector.js';

/** Pod names of a Deployment add `-<template hash>-<random>` (16 characters) to its name. */
export const DEPLOYMENT_NAME_MAX = 47;
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 10;
export const DEFAULT_REPLICAS = 1;
/** Kubernetes' defaults for a Deployment's rolling update (a DaemonSet's: see DAEMONSET_STRATEGY). */
export const DEFAULT_MAX_SURGE: IntOrPercent = '25%';
export const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = '25%';
/** As Kubernetes: all annotations of an object together. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;
/**
 * All of a Secret's keys and decoded values together. Less than Kubernetes' 1 MiB: values
 * reach containers as environment variables (Linux takes at most 128 KiB for one), and a
 * device gets every value its pods use in one MQTT message.
 */
export const SECRET_MAX_BYTES = 256 * 1024;
export const DEFAULT_SECRET_TYPE = 'Opaque';
/** Kubernetes' rule for the keys of a Secret's data. */
export const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;
const SECRET_KEY_MAX_LENGTH = 253;

type AppliableKind = 'Pod' | 'Deployment' | 'DaemonSet' | 'Device' | 'Secret';

/**
 * Checks and defaults one manifest. `index` is its position in a multi-document file: the
 * error message then starts with `document <index+1> (<kind> <name>)`. Never mutates `input`.
 */
export function validateManifest(input: unknown, index?: number): AnyObject {
  const problems: FieldError[] = [];
  const object = validateDocument(input, problems);
  if (problems.length > 0 || object === undefined) throw invalidDocument(documentName(input, index), problems);
  return object;
}

/** What is wrong with a name for an object of this kind (as in an API path), or undefined. */
export function validateObjectName(kind: Kind, name: string): string | undefined {
  // Secrets are often named after hosts (`registry.example.com`), as Kubernetes allows.
  if (kind === 'Event' || kind === 'Secret') return dnsSubdomainProblem(name);
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) return problem;
  if ((kind === 'Deployment' || kind === 'DaemonSet') && name.length > DEPLOYMENT_NAME_MAX) {
    return `must be at most ${DEPLOYMENT_NAME_MAX} characters (it has ${name.length}): its pods' names add 16 more`;
  }
  return undefined;
}

/** Kubernetes' default: pull every time for `:latest` or an untagged image, else only when missing. */
export function defaultPullPolicy(image: string): PullPolicy {
  const at = image.indexOf('@');
  const reference = at >= 0 ? image.slice(0, at) : image;
  // A registry port (`localhost:5000/app`) is before the last "/", a tag after it.
  const lastPart = reference.slice(reference.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  if (colon < 0) return at >= 0 ? 'IfNotPresent' : 'Always';
  return lastPart.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

// ---- The document: kind, apiVersion, then one function per kind.

function validateDocument(input: unknown, problems: FieldError[]): AnyObject | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push({
      field: '',
      message: `must be an object with apiVersion, kind, metadata and spec, got ${describeValue(input)}`,
    });
    return undefined;
  }
  const root = input as Fields;
  const kind = readKind(problems, root);
  if (kind === undefined) return undefined;
  checkApiVersion(problems, root, kind);
  if (kind === 'Secret') {
    checkFields(problems, root, '', ['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData'], [], ['immutable']);
    return validateSecret(problems, root);
  }
  checkFields(problems, root, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  switch (kind) {
    case 'Pod':
      return validatePod(problems, root);
    case 'Deployment':
      return validateDeployment(problems, root);
    case 'DaemonSet':
      return validateDaemonSet(problems, root);
    case 'Device':
      return validateDevice(problems, root);
  }
}

function readKind(problems: FieldError[], root: Fields): AppliableKind | undefined {
  const kind = get(root, 'kind');
  const supported = `supported kinds: ${APPLIABLE_KINDS.join(', ')}`;
  if (kind === undefined) {
    problems.push({ field: 'kind', message: `is required; ${supported}` });
    return undefined;
  }
  if (typeof kind !== 'string') {
    problems.push({ field: 'kind', message: `must be a string, got ${describeValue(kind)}; ${supported}` });
    return undefined;
  }
  if ((APPLIABLE_KINDS as readonly string[]).includes(kind)) return kind as AppliableKind;
  if (isKind(kind)) {
    problems.push({
      field: 'kind',
      message: `${kind} objects are written by the hub and cannot be applied; ${supported}`,
    });
    return undefined;
  }
  const suggestion = closest(kind, APPLIABLE_KINDS);
  const didYouMean = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  problems.push({ field: 'kind', message: `unsupported kind "${kind}"${didYouMean}; ${supported}` });
  return undefined;
}

function checkApiVersion(problems: FieldError[], root: Fields, kind: AppliableKind): void {
  const expected = KINDS[kind].apiVersion;
  const apiVersion = get(root, 'apiVersion');
  if (apiVersion === undefined) {
    problems.push({ field: 'apiVersion', message: `is required: "${expected}" for kind ${kind}` });
  } else if (apiVersion !== expected) {
    problems.push({
      field: 'apiVersion',
      message: `must be "${expected}" for kind ${kind}, got ${describeValue(apiVersion)}`,
    });
  }
}

function validatePod(problems: FieldError[], root: Fields): Pod {
  const metadata = validateMetadata(problems, get(root, 'metadata'), 'Pod');
  const specInput = required(problems, root, 'spec', '', 'with at least one container');
  const spec = validatePodSpec(problems, specInput, 'spec', 'Pod');
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

function validateDevice(problems: FieldError[], root: Fields): Device {
  const metadata = validateMetadata(problems, get(root, 'metadata'), 'Device');
  const spec: DeviceSpec = {};
  const input = optionalObject(problems, get(root, 'spec'), 'spec');
  if (input !== undefined) {
    checkFields(problems, input, 'spec', ['unschedulable', 'taints']);
    const unschedulable = readBoolean(problems, get(input, 'unschedulable'), 'spec.unschedulable');
    if (unschedulable !== undefined) spec.unschedulable = unschedulable;
    const taints = validateTaints(problems, get(input, 'taints'), 'spec.taints');
    if (taints !== undefined) spec.taints = taints;
  }
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata, spec };
}

const TAINT_FIELDS = ['key', 'value', 'effect'];

/**
 * A device's taints, as a node's in Kubernetes: a label key, an optional label value and an
 * effect, each key and effect once. The unreachable taint is the hub's own, never set by hand.
 */
function validateTaints(problems: FieldError[], value: unknown, path: string): NonNullable<DeviceSpec['taints']> | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  const taints: NonNullable<DeviceSpec['taints']> = [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const input = readObject(problems, item, itemPath);
    if (input === undefined) return;
    checkFields(problems, input, itemPath, TAINT_FIELDS);
    const key = readString(problems, required(problems, input, 'key', itemPath, 'a label key such as dedicated'), at(itemPath, 'key'));
    const text = readString(problems, get(input, 'value'), at(itemPath, 'value'));
    const effect = readEnum(problems, required(problems, input, 'effect', itemPath, `one of ${TAINT_EFFECTS.join(', ')}`), at(itemPath, 'effect'), TAINT_EFFECTS);
    if (key !== undefined) {
      const problem = labelKeyProblem(key);
      if (problem !== undefined) problems.push({ field: at(itemPath, 'key'), message: problem });
      else if (key === UNREACHABLE_TAINT_KEY || key === KUBERNETES_UNREACHABLE_TAINT_KEY) {
        problems.push({ field: at(itemPath, 'key'), message: 'is set by the hub on a device that has gone Offline, not by hand' });
      }
    }
    if (text !== undefined && text !== '') {
      const problem = labelValueProblem(text);
      if (problem !== undefined) problems.push({ field: at(itemPath, 'value'), message: problem });
    }
    if (key === undefined || effect === undefined) return;
    if (seen.has(`${key}:${effect}`)) {
      problems.push({ field: itemPath, message: `repeats the taint ${key}:${effect}; a key has one taint per effect` });
      return;
    }
    seen.add(`${key}:${effect}`);
    taints.push(text === undefined || text === '' ? { key, effect } : { key, value: text, effect });
  });
  return taints;
}

// ---- metadata

const METADATA_FIELDS = ['name', 'namespace', 'labels', 'annotations', 'resourceVersion'];
/** Written by the server: accepted so `get -o yaml` output applies again, then ignored. */
const SERVER_SET_METADATA = [
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'managedFields',
  'deletionTimestamp',
];

function validateMetadata(problems: FieldError[], value: unknown, kind: AppliableKind): ObjectMeta {
  const metadata: ObjectMeta = { name: '' };
  if (value === undefined) {
    problems.push({ field: 'metadata', message: 'is required, with at least metadata.name' });
    return metadata;
  }
  const input = readObject(problems, value, 'metadata');
  if (input === undefined) return metadata;
  checkFields(problems, input, 'metadata', METADATA_FIELDS, SERVER_SET_METADATA);

  const name = readString(problems, required(problems, input, 'name', 'metadata'), 'metadata.name');
  if (name !== undefined) {
    const problem = validateObjectName(kind, name);
    if (problem !== undefined) problems.push({ field: 'metadata.name', message: problem });
    metadata.name = name;
  }

  const namespace = readString(problems, get(input, 'namespace'), 'metadata.namespace');
  if (!KINDS[kind].namespaced) {
    if (namespace !== undefined) {
      problems.push({
        field: 'metadata.namespace',
        message: `must be absent: a ${kind} does not belong to a namespace`,
      });
    }
  } else {
    const problem = namespace === undefined ? undefined : dnsLabelProblem(namespace);
    if (problem !== undefined) problems.push({ field: 'metadata.namespace', message: problem });
    metadata.namespace = namespace ?? DEFAULT_NAMESPACE;
  }

  const labels = readLabels(problems, get(input, 'labels'), 'metadata.labels');
  if (labels !== undefined) metadata.labels = labels;
  const annotations = readAnnotations(problems, get(input, 'annotations'), 'metadata.annotations');
  if (annotations !== undefined) metadata.annotations = annotations;
  const resourceVersion = readString(problems, get(input, 'resourceVersion'), 'metadata.resourceVersion');
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
  return metadata;
}

function readLabels(problems: FieldError[], value: unknown, path: string): Labels | undefined {
  return readStringMap(problems, value, path, labelKeyProblem, labelValueProblem);
}

function readAnnotations(problems: FieldError[], value: unknown, path: string): Record<string, string> | undefined {
  const annotations = readStringMap(problems, value, path, labelKeyProblem, () => undefined);
  if (annotations === undefined) return undefined;
  let bytes = 0;
  for (const [key, text] of Object.entries(annotations)) bytes += Buffer.byteLength(key) + Buffer.byteLength(text);
  if (bytes > ANNOTATIONS_MAX_BYTES) {
    problems.push({
      field: path,
      message: `must be at most ${ANNOTATIONS_MAX_BYTES} bytes in all (they are ${bytes})`,
    });
  }
  return annotations;
}

// ---- PodSpec and containers

const POD_SPEC_FIELDS = [
  'containers',
  'restartPolicy',
  'nodeSelector',
  'deviceSelector',
  'nodeName',
  'terminationGracePeriodSeconds',
  'tolerations',
];
const POD_SPEC_UNSUPPORTED = [
  'volumes',
  'initContainers',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'affinity',
  'securityContext',
  'serviceAccountName',
  'imagePullSecrets',
  'dnsPolicy',
  'hostname',
  'priorityClassName',
  'schedulerName',
  'runtimeClassName',
];
const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];

function validatePodSpec(problems: FieldError[], value: unknown, path: string, owner: 'Pod' | WorkloadKind): PodSpec {
  const spec: PodSpec = { containers: [] };
  if (value === undefined) return spec;
  const input = readObject(problems, value, path);
  if (input === undefined) return spec;
  checkFields(problems, input, path, POD_SPEC_FIELDS, [], POD_SPEC_UNSUPPORTED);

  spec.containers = validateContainers(problems, get(input, 'containers'), at(path, 'containers'));

  const restartPath = at(path, 'restartPolicy');
  spec.restartPolicy = readEnum(problems, get(input, 'restartPolicy'), restartPath, RESTART_POLICIES) ?? 'Always';
  if (owner !== 'Pod' && spec.restartPolicy !== 'Always') {
    problems.push({
      field: restartPath,
      message:
        `must be Always in a ${owner}, got "${spec.restartPolicy}": ` +
        `a ${owner} keeps its pods running; use a Pod for work that finishes`,
    });
  }

  const nodeSelector = readLabels(problems, get(input, 'nodeSelector'), at(path, 'nodeSelector'));
  if (nodeSelector !== undefined) spec.nodeSelector = nodeSelector;

  const selectorPath = at(path, 'deviceSelector');
  const deviceSelector = readString(problems, get(input, 'deviceSelector'), selectorPath);
  if (deviceSelector !== undefined) {
    try {
      parseSelector(deviceSelector);
    } catch (error) {
      if (!(error instanceof SelectorSyntaxError)) throw error;
      problems.push({ field: selectorPath, message: `is not a valid label selector: ${error.problem}` });
    }
    spec.deviceSelector = deviceSelector;
  }

  const nodeName = readString(problems, get(input, 'nodeName'), at(path, 'nodeName'));
  if (nodeName !== undefined) {
    const problem = dnsLabelProblem(nodeName);
    if (problem !== undefined) {
      problems.push({
        field: at(path, 'nodeName'),
        message: `must be a device name: ${problem}`,
      });
    }
    spec.nodeName = nodeName;
  }

  spec.terminationGracePeriodSeconds =
    readInteger(problems, get(input, 'terminationGracePeriodSeconds'), at(path, 'terminationGracePeriodSeconds'), 0) ??
    DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;

  const tolerations = validateTolerations(problems, get(input, 'tolerations'), at(path, 'tolerations'));
  if (tolerations !== undefined) spec.tolerations = tolerations;
  return spec;
}

const TOLERATION_FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const TOLERATION_OPERATORS: readonly NonNullable<Toleration['operator']>[] = ['Exists', 'Equal'];
/** Kubernetes also has PreferNoSchedule; Flotilla's scheduler has no soft preferences. */
const TAINT_EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'NoExecute'];

/**
 * Tolerations as Kubernetes checks them. Defaults are not written in: an absent operator is
 * Equal and an absent effect is every effect, both when the toleration is matched, so what
 * is stored is what was written.
 */
function validateTolerations(problems: FieldError[], value: unknown, path: string): Toleration[] | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  const tolerations: Toleration[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const input = readObject(problems, item, itemPath);
    if (input === undefined) return;
    checkFields(problems, input, itemPath, TOLERATION_FIELDS);
    const toleration: Toleration = {};

    const keyInput = get(input, 'key');
    const key = readString(problems, keyInput, at(itemPath, 'key'));
    if (key !== undefined && key !== '') {
      const problem = labelKeyProblem(key);
      if (problem !== undefined) problems.push({ field: at(itemPath, 'key'), message: problem });
      toleration.key = key;
    }
    const operatorInput = get(input, 'operator');
    const operator = readEnum(problems, operatorInput, at(itemPath, 'operator'), TOLERATION_OPERATORS);
    if (operator !== undefined) toleration.operator = operator;
    const exists = operator === 'Exists';
    // An operator that is not a known one is reported above already.
    const keyEmpty = keyInput === undefined || keyInput === '';
    if (keyEmpty && !exists && (operatorInput === undefined || operator !== undefined)) {
      problems.push({
        field: at(itemPath, 'operator'),
        message: 'must be Exists when key is empty: a toleration without a key matches every taint, whatever its value',
      });
    }

    const text = readString(problems, get(input, 'value'), at(itemPath, 'value'));
    if (text !== undefined && text !== '') {
      if (exists) {
        problems.push({ field: at(itemPath, 'value'), message: 'must be empty when operator is Exists: Exists matches any value' });
      } else {
        const problem = labelValueProblem(text);
        if (problem !== undefined) problems.push({ field: at(itemPath, 'value'), message: problem });
      }
      toleration.value = text;
    }

    const effectPath = at(itemPath, 'effect');
    const effectInput = get(input, 'effect');
    // An empty effect means every effect in Kubernetes, the same as none.
    const effect = effectInput === '' ? undefined : readEnum(problems, effectInput, effectPath, TAINT_EFFECTS);
    if (effect !== undefined) toleration.effect = effect;

    const secondsPath = at(itemPath, 'tolerationSeconds');
    const seconds = readInteger(problems, get(input, 'tolerationSeconds'), secondsPath, 0);
    if (seconds !== undefined) {
      if (effect !== 'NoExecute') {
        problems.push({
          field: secondsPath,
          message: 'needs effect NoExecute: only a NoExecute taint makes a pod leave, so only it can be tolerated for a while',
        });
      }
      toleration.tolerationSeconds = seconds;
    }
    tolerations.push(toleration);
  });
  return tolerations;
}

function validateContainers(problems: FieldError[], value: unknown, path: string): Container[] {
  if (value === undefined) {
    problems.push({ field: path, message: 'is required: list at least one container with a name and an image' });
    return [];
  }
  const list = readList(problems, value, path);
  if (list === undefined) return [];
  if (list.length === 0) problems.push({ field: path, message: 'must list at least one container' });

  const containers: Container[] = [];
  const namesSeen = new Map<string, string>();
  const hostPortsSeen: HostPortsSeen = new Map();
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const container = validateContainer(problems, item, itemPath, hostPortsSeen);
    if (container === undefined) return;
    containers.push(container);

    const sameName = namesSeen.get(container.name);
    if (sameName !== undefined) {
      problems.push({ field: `${itemPath}.name`, message: `"${container.name}" is already the name of ${sameName}` });
    } else if (container.name !== '') {
      namesSeen.set(container.name, itemPath);
    }
  });
  return containers;
}

/** Host ports of the pod so far, `8080/TCP` → the path of the port that took it. */
type HostPortsSeen = Map<string, string>;

const CONTAINER_FIELDS = ['name', 'image', 'command', 'args', 'env', 'ports', 'resources', 'imagePullPolicy'];
const CONTAINER_UNSUPPORTED = [
  'volumeMounts',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'workingDir',
  'securityContext',
  'envFrom',
  'lifecycle',
  'stdin',
  'tty',
  'terminationMessagePath',
  'terminationMessagePolicy',
];
const PULL_POLICIES: readonly PullPolicy[] = ['Always', 'IfNotPresent', 'Never'];

function validateContainer(
  problems: FieldError[],
  value: unknown,
  path: string,
  hostPortsSeen: HostPortsSeen,
): Container | undefined {
  const input = readObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, CONTAINER_FIELDS, [], CONTAINER_UNSUPPORTED);

  const name = readString(problems, required(problems, input, 'name', path), at(path, 'name'));
  const nameProblem = name === undefined ? undefined : dnsLabelProblem(name);
  if (nameProblem !== undefined) problems.push({ field: at(path, 'name'), message: nameProblem });

  const imagePath = at(path, 'image');
  const image = readString(problems, required(problems, input, 'image', path, 'such as "nginx:1.27"'), imagePath);
  if (image !== undefined && image.trim().length === 0) {
    problems.push({ field: imagePath, message: 'must not be empty; give an image such as "nginx:1.27"' });
  } else if (image !== undefined && /\s/.test(image)) {
    problems.push({ field: imagePath, message: `must not contain whitespace: "${image}"` });
  }

  const container: Container = { name: name ?? '', image: image ?? '' };
  const command = readStringList(problems, get(input, 'command'), at(path, 'command'));
  if (command !== undefined) container.command = command;
  const args = readStringList(problems, get(input, 'args'), at(path, 'args'));
  if (args !== undefined) container.args = args;
  const env = validateEnv(problems, get(input, 'env'), at(path, 'env'));
  if (env !== undefined) container.env = env;
  const ports = validatePorts(problems, get(input, 'ports'), at(path, 'ports'), hostPortsSeen);
  if (ports !== undefined) container.ports = ports;
  const resources = validateResources(problems, get(input, 'resources'), at(path, 'resources'));
  if (resources !== undefined) container.resources = resources;
  const pullPolicy = readEnum(problems, get(input, 'imagePullPolicy'), at(path, 'imagePullPolicy'), PULL_POLICIES);
  container.imagePullPolicy = pullPolicy ?? defaultPullPolicy(container.image);
  return container;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function validateEnv(problems: FieldError[], value: unknown, path: string): EnvVar[] | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  const env: EnvVar[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const input = readObject(problems, item, itemPath);
    if (input === undefined) return;
    checkFields(problems, input, itemPath, ['name', 'value', 'valueFrom']);
    const name = readString(problems, required(problems, input, 'name', itemPath), at(itemPath, 'name'));
    if (name !== undefined && !ENV_NAME.test(name)) {
      problems.push({
        field: at(itemPath, 'name'),
        message: `"${name}" must be letters, digits, "_", "-" and ".", not starting with a digit`,
      });
    }
    const variable: EnvVar = { name: name ?? '' };
    const text = readString(problems, get(input, 'value'), at(itemPath, 'value'));
    if (text !== undefined) variable.value = text;
    const source = get(input, 'valueFrom');
    if (source !== undefined) {
      if (get(input, 'value') !== undefined) {
        problems.push({
          field: itemPath,
          message: 'must set either value or valueFrom, not both',
        });
      }
      const secretKeyRef = validateEnvSource(problems, source, at(itemPath, 'valueFrom'));
      if (secretKeyRef !== undefined) variable.valueFrom = { secretKeyRef };
    }
    env.push(variable);
  });
  return env;
}

/** `valueFrom`: Flotilla takes values from Secrets only. */
function validateEnvSource(problems: FieldError[], value: unknown, path: string): SecretKeySelector | undefined {
  const input = readObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, ['secretKeyRef'], [], ['configMapKeyRef', 'fieldRef', 'resourceFieldRef']);
  const refPath = at(path, 'secretKeyRef');
  const ref = readObject(problems, required(problems, input, 'secretKeyRef', path, 'with the name of a Secret and a key in it'), refPath);
  if (ref === undefined) return undefined;
  checkFields(problems, ref, refPath, ['name', 'key', 'optional']);
  const before = problems.length;
  const name = readString(problems, required(problems, ref, 'name', refPath, "the Secret's name, in the pod's namespace"), at(refPath, 'name'));
  const nameProblem = name === undefined ? undefined : dnsSubdomainProblem(name);
  if (nameProblem !== undefined) problems.push({ field: at(refPath, 'name'), message: `must be a Secret's name: ${nameProblem}` });
  const key = readString(problems, required(problems, ref, 'key', refPath, 'a key of the Secret'), at(refPath, 'key'));
  const keyProblem = key === undefined ? undefined : secretKeyProblem(key);
  if (keyProblem !== undefined) problems.push({ field: at(refPath, 'key'), message: keyProblem });
  const optional = readBoolean(problems, get(ref, 'optional'), at(refPath, 'optional'));
  if (problems.length > before || name === undefined || key === undefined) return undefined;
  return optional === undefined ? { name, key } : { name, key, optional };
}

const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validatePorts(
  problems: FieldError[],
  value: unknown,
  path: string,
  hostPortsSeen: HostPortsSeen,
): ContainerPort[] | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  const ports: ContainerPort[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const input = readObject(problems, item, itemPath);
    if (input === undefined) return;
    checkFields(problems, input, itemPath, ['containerPort', 'hostPort', 'protocol', 'name'], [], ['hostIP']);
    const containerPort = readInteger(
      problems,
      required(problems, input, 'containerPort', itemPath),
      at(itemPath, 'containerPort'),
      1,
      65535,
    );
    const port: ContainerPort = {
      containerPort: containerPort ?? 0,
      protocol: readEnum(problems, get(input, 'protocol'), at(itemPath, 'protocol'), ['TCP', 'UDP'] as const) ?? 'TCP',
    };
    const hostPort = readInteger(problems, get(input, 'hostPort'), at(itemPath, 'hostPort'), 1, 65535);
    if (hostPort !== undefined) {
      port.hostPort = hostPort;
      const key = `${hostPort}/${port.protocol}`;
      const taken = hostPortsSeen.get(key);
      if (taken !== undefined) {
        problems.push({ field: at(itemPath, 'hostPort'), message: `host port ${key} is already used by ${taken}` });
      } else {
        hostPortsSeen.set(key, itemPath);
      }
    }
    const name = readString(problems, get(input, 'name'), at(itemPath, 'name'));
    if (name !== undefined) {
      // IANA service names, as Kubernetes: short, lower-case, with at least one letter.
      if (name.length > 15 || !PORT_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
        problems.push({
          field: at(itemPath, 'name'),
          message: `"${name}" must be at most 15 lower-case letters, digits and "-", with at least one letter`,
        });
      }
      port.name = name;
    }
    ports.push(port);
  });
  return ports;
}

type ResourceName = keyof ResourceList;
const RESOURCE_NAMES: readonly ResourceName[] = ['cpu', 'memory'];
const PARSE_RESOURCE: Record<ResourceName, (quantity: string | number) => number> = {
  cpu: parseCpu,
  memory: parseMemory,
};

/** Kubernetes defaults a missing request to its limit; a request above its limit is refused. */
function validateResources(problems: FieldError[], value: unknown, path: string): ResourceRequirements | undefined {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, ['limits', 'requests'], [], ['claims']);
  const limits = validateResourceList(problems, get(input, 'limits'), at(path, 'limits'));
  const requests = validateResourceList(problems, get(input, 'requests'), at(path, 'requests'));
  const resources: ResourceRequirements = {};
  if (limits === undefined && requests === undefined) return resources;

  const requested: ResourceList = { ...requests?.list };
  for (const resource of RESOURCE_NAMES) {
    const limit = limits?.amounts[resource];
    const request = requests?.amounts[resource];
    if (limit === undefined) continue;
    if (request === undefined) {
      requested[resource] = limits?.list[resource];
    } else if (request > limit) {
      problems.push({
        field: `${path}.requests.${resource}`,
        message: `${requests?.list[resource]} must not be more than the limit, ${limits?.list[resource]}`,
      });
    }
  }
  if (limits !== undefined) resources.limits = limits.list;
  resources.requests = requested;
  return resources;
}

function validateResourceList(
  problems: FieldError[],
  value: unknown,
  path: string,
): { list: ResourceList; amounts: Partial<Record<ResourceName, number>> } | undefined {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, RESOURCE_NAMES, [], ['ephemeral-storage', 'storage']);
  const list: ResourceList = {};
  const amounts: Partial<Record<ResourceName, number>> = {};
  for (const resource of RESOURCE_NAMES) {
    const quantity = get(input, resource);
    if (quantity === undefined) continue;
    if (typeof quantity !== 'string' && typeof quantity !== 'number') {
      problems.push({
        field: at(path, resource),
        message: `must be a quantity (a string or a number), got ${describeValue(quantity)}`,
      });
      continue;
    }
    try {
      amounts[resource] = PARSE_RESOURCE[resource](quantity);
      list[resource] = String(quantity).trim();
    } catch (error) {
      if (!(error instanceof FlotillaError)) throw error;
      problems.push({ field: at(path, resource), message: error.message });
    }
  }
  return { list, amounts };
}

// ---- Deployment

/** Spec fields of every workload that rolls out revisions (validateRolloutSpec reads them). */
const ROLLOUT_SPEC_FIELDS = ['minReadySeconds', 'progressDeadlineSeconds', 'paused', 'revisionHistoryLimit'];
const DEPLOYMENT_SPEC_FIELDS = ['replicas', 'selector', 'template', 'strategy', ...ROLLOUT_SPEC_FIELDS];

function validateDeployment(problems: FieldError[], root: Fields): Deployment {
  const metadata = validateMetadata(problems, get(root, 'metadata'), 'Deployment');
  const input = readObject(problems, required(problems, root, 'spec', '', 'with a template'), 'spec');
  if (input === undefined) {
    const placeholder: DeploymentSpec = { template: { spec: { containers: [] } } };
    return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: placeholder };
  }
  checkFields(problems, input, 'spec', DEPLOYMENT_SPEC_FIELDS);

  const replicas = readInteger(problems, get(input, 'replicas'), 'spec.replicas', 0) ?? DEFAULT_REPLICAS;
  const templateInput = required(problems, input, 'template', 'spec', 'with metadata.labels and a pod spec');
  const template = validateTemplate(problems, templateInput);
  const checkedSelector = validateSelectorObject(problems, get(input, 'selector'), 'spec.selector');
  const selector = defaultSelector(problems, checkedSelector, template, metadata.name);
  const strategy = validateStrategy(problems, get(input, 'strategy'), 'spec.strategy', DEPLOYMENT_STRATEGY, replicas);
  const spec: DeploymentSpec = { replicas, selector, template, strategy, ...validateRolloutSpec(problems, input, 'spec') };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

/** Kinds whose pods come from a template and keep running. */
type WorkloadKind = 'Deployment' | 'DaemonSet';

function validateTemplate(problems: FieldError[], value: unknown, owner: WorkloadKind = 'Deployment'): PodTemplate {
  const path = 'spec.template';
  const input = readObject(problems, value, path);
  if (input === undefined) return { spec: { containers: [] } };
  checkFields(problems, input, path, ['metadata', 'spec']);
  const metadata = optionalObject(problems, get(input, 'metadata'), at(path, 'metadata'));
  const templateMetadata: PodTemplate['metadata'] = {};
  if (metadata !== undefined) {
    // kubectl writes `creationTimestamp: null` into templates; it means nothing here.
    checkFields(problems, metadata, at(path, 'metadata'), ['labels', 'annotations'], ['creationTimestamp']);
    const labels = readLabels(problems, get(metadata, 'labels'), `${path}.metadata.labels`);
    const annotations = readAnnotations(problems, get(metadata, 'annotations'), `${path}.metadata.annotations`);
    if (labels !== undefined) templateMetadata.labels = labels;
    if (annotations !== undefined) templateMetadata.annotations = annotations;
  }
  const specInput = required(problems, input, 'spec', path, 'with at least one container');
  const spec = validatePodSpec(problems, specInput, at(path, 'spec'), owner);
  return { metadata: templateMetadata, spec };
}

const SELECTOR_OPERATORS: readonly LabelSelectorRequirement['operator'][] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

interface CheckedSelector {
  object: LabelSelectorObject;
  /** Absent when the object has problems (already reported). */
  selector?: Selector;
}

/** The structure of a LabelSelectorObject here; its meaning is checked by selectorFromObject. */
function validateSelectorObject(problems: FieldError[], value: unknown, path: string): CheckedSelector | undefined {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, ['matchLabels', 'matchExpressions']);
  const selector: LabelSelectorObject = {};
  const before = problems.length;
  const matchLabels = readLabels(problems, get(input, 'matchLabels'), at(path, 'matchLabels'));
  if (matchLabels !== undefined) selector.matchLabels = matchLabels;
  const expressions = optionalList(problems, get(input, 'matchExpressions'), at(path, 'matchExpressions'));
  if (expressions !== undefined) {
    selector.matchExpressions = [];
    expressions.forEach((item, index) => {
      const itemPath = `${path}.matchExpressions[${index}]`;
      const expression = readObject(problems, item, itemPath);
      if (expression === undefined) return;
      checkFields(problems, expression, itemPath, ['key', 'operator', 'values']);
      const key = readString(problems, required(problems, expression, 'key', itemPath), at(itemPath, 'key'));
      const operator = readEnum(
        problems,
        required(problems, expression, 'operator', itemPath),
        at(itemPath, 'operator'),
        SELECTOR_OPERATORS,
      );
      const values = readStringList(problems, get(expression, 'values'), at(itemPath, 'values'));
      if (key === undefined || operator === undefined) return;
      selector.matchExpressions?.push(values === undefined ? { key, operator } : { key, operator, values });
    });
  }
  if (problems.length > before) return { object: selector };
  try {
    return { object: selector, selector: selectorFromObject(selector) };
  } catch (error) {
    if (!(error instanceof FlotillaError)) throw error;
    for (const detail of error.details) problems.push({ field: `${path}.${detail.field}`, message: detail.message });
    return { object: selector };
  }
}

/**
 * No selector: select the template's labels; a template without labels gets `app: <name>`,
 * and so does the selector. A selector must match the template's labels, or the Deployment
 * would not recognise the pods it creates.
 */
function defaultSelector(
  problems: FieldError[],
  checked: CheckedSelector | undefined,
  template: PodTemplate,
  name: string,
  owner: WorkloadKind = 'Deployment',
): LabelSelectorObject {
  const templateLabels = template.metadata?.labels ?? {};
  if (checked === undefined) {
    if (Object.keys(templateLabels).length === 0) {
      template.metadata = { ...template.metadata, labels: { app: name } };
      return { matchLabels: { app: name } };
    }
    return { matchLabels: { ...templateLabels } };
  }
  const { object, selector } = checked;
  if (selector === undefined) return object;
  if (selector.isEmpty()) {
    problems.push({
      field: 'spec.selector',
      message: "must not be empty: give matchLabels that the template's labels carry",
    });
  } else if (!selector.matches(templateLabels)) {
    problems.push({
      field: 'spec.selector',
      message:
        `"${selector.toString()}" does not match the template's labels ${JSON.stringify(templateLabels)}: ` +
        `the ${owner} would not recognise its own pods`,
    });
  }
  return object;
}

// ---- Rollout: a workload's strategy (Deployment spec.strategy, DaemonSet spec.updateStrategy)
// ---- and the spec fields that pace it.

/** What one workload kind's strategy accepts, and its defaults. */
export interface StrategyRules<T extends string> {
  /** The types, the first being the default; only RollingUpdate takes rollingUpdate and waves. */
  types: readonly T[];
  defaultMaxSurge: IntOrPercent;
  defaultMaxUnavailable: IntOrPercent;
}

export const DEPLOYMENT_STRATEGY: StrategyRules<'RollingUpdate' | 'Recreate'> = {
  types: ['RollingUpdate', 'Recreate'],
  defaultMaxSurge: DEFAULT_MAX_SURGE,
  defaultMaxUnavailable: DEFAULT_MAX_UNAVAILABLE,
};

/** Kubernetes' DaemonSet defaults: one device at a time, no surge (two pods rarely fit a device). */
export const DAEMONSET_STRATEGY: StrategyRules<'RollingUpdate' | 'OnDelete'> = {
  types: ['RollingUpdate', 'OnDelete'],
  defaultMaxSurge: 0,
  defaultMaxUnavailable: 1,
};

export type CheckedStrategy<T extends string> = StagedRolloutParams & { type: T; rollingUpdate?: RollingUpdateParams };

const STRATEGY_FIELDS = ['type', 'rollingUpdate', 'waves', 'failureThreshold', 'rollbackOnFailure'];
/** Fields that only a rolling update has a use for. */
const ROLLING_ONLY_FIELDS = ['rollingUpdate', 'waves'];

/**
 * A workload's strategy, defaulted: RollingUpdate with the kind's maxSurge and maxUnavailable
 * unless given. `replicas`, when the kind has them, lets counts and shares of waves be
 * compared and the last wave be checked against it; a DaemonSet's size is its devices', known
 * only later, so its last wave must be "100%".
 */
function validateStrategy<T extends string>(
  problems: FieldError[],
  value: unknown,
  path: string,
  rules: StrategyRules<T>,
  replicas?: number,
): CheckedStrategy<T> {
  const input = optionalObject(problems, value, path) ?? {};
  checkFields(problems, input, path, STRATEGY_FIELDS);
  const type = readEnum(problems, get(input, 'type'), at(path, 'type'), rules.types) ?? (rules.types[0] as T);
  const strategy: CheckedStrategy<T> = { type };
  if (type !== 'RollingUpdate') {
    for (const field of ROLLING_ONLY_FIELDS) {
      if (get(input, field) !== undefined) problems.push({ field: at(path, field), message: `must be absent when the strategy type is ${type}: only RollingUpdate uses it` });
    }
  } else {
    strategy.rollingUpdate = validateRollingUpdate(problems, get(input, 'rollingUpdate'), at(path, 'rollingUpdate'), rules);
    const waves = validateWaves(problems, get(input, 'waves'), at(path, 'waves'), replicas);
    if (waves !== undefined) strategy.waves = waves;
  }
  const thresholdPath = at(path, 'failureThreshold');
  const failureThreshold = readIntOrPercent(problems, get(input, 'failureThreshold'), thresholdPath, {
    minCount: 0,
    percent: (p) => p >= 0 && p <= 100,
    expected: 'a number of failed pods (0 or more), or a share of the updated pods from "0%" to "100%"',
  });
  if (failureThreshold !== undefined) strategy.failureThreshold = failureThreshold;
  const rollbackPath = at(path, 'rollbackOnFailure');
  const rollbackOnFailure = readBoolean(problems, get(input, 'rollbackOnFailure'), rollbackPath);
  if (rollbackOnFailure !== undefined) strategy.rollbackOnFailure = rollbackOnFailure;
  if (rollbackOnFailure === true && get(input, 'failureThreshold') === undefined) {
    problems.push({ field: rollbackPath, message: `needs ${thresholdPath}: without a threshold a rollout never stops, so it never rolls back` });
  }
  return strategy;
}

function validateRollingUpdate<T extends string>(problems: FieldError[], value: unknown, path: string, rules: StrategyRules<T>): RollingUpdateParams {
  const input = optionalObject(problems, value, path) ?? {};
  checkFields(problems, input, path, ['maxSurge', 'maxUnavailable']);
  const maxSurge = readIntOrPercent(problems, get(input, 'maxSurge'), at(path, 'maxSurge'), {
    minCount: 0,
    percent: (p) => p >= 0,
    expected: 'a number of pods (0 or more) or a percentage such as "25%"',
  });
  const maxUnavailable = readIntOrPercent(problems, get(input, 'maxUnavailable'), at(path, 'maxUnavailable'), {
    minCount: 0,
    percent: (p) => p >= 0 && p <= 100,
    expected: 'a number of pods (0 or more) or a percentage from "0%" to "100%"',
  });
  const given = (field: string) => get(input, field) !== undefined;
  const params: RollingUpdateParams = {
    maxSurge: maxSurge ?? rules.defaultMaxSurge,
    maxUnavailable: maxUnavailable ?? rules.defaultMaxUnavailable,
  };
  const isZero = (v: IntOrPercent | undefined) => v === 0 || (typeof v === 'string' && parsePercent(v) === 0);
  const bothKnown = (maxSurge !== undefined || !given('maxSurge')) && (maxUnavailable !== undefined || !given('maxUnavailable'));
  if (bothKnown && isZero(params.maxSurge) && isZero(params.maxUnavailable)) {
    problems.push({
      field: path,
      message: 'maxSurge and maxUnavailable must not both be 0: the rollout could never replace a pod',
    });
  }
  return params;
}

const WAVE_SIZE_EXPECTED = 'a number of pods (1 or more), or a share of the pods above "0%" up to "100%"';

function validateWaves(problems: FieldError[], value: unknown, path: string, replicas: number | undefined): RolloutWave[] | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    problems.push({ field: path, message: 'must list at least one wave; leave waves out to update in one go' });
    return [];
  }
  const waves: RolloutWave[] = [];
  /** The size of the wave before, as given and as read; undefined when it had a problem. */
  let before: { size: IntOrPercent; path: string } | undefined;
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const wave = readObject(problems, item, itemPath);
    if (wave === undefined) {
      before = undefined;
      return;
    }
    checkFields(problems, wave, itemPath, ['size', 'pause']);
    const sizePath = at(itemPath, 'size');
    const size = readIntOrPercent(problems, required(problems, wave, 'size', itemPath, `as ${WAVE_SIZE_EXPECTED}`), sizePath, {
      minCount: 1,
      percent: (p) => p > 0 && p <= 100,
      expected: WAVE_SIZE_EXPECTED,
    });
    const checked: RolloutWave = { size: size ?? '100%' };
    const pause = validateWavePause(problems, get(wave, 'pause'), at(itemPath, 'pause'));
    if (pause !== undefined) checked.pause = pause;
    waves.push(checked);
    if (size === undefined) {
      before = undefined;
      return;
    }
    if (before !== undefined) {
      const previous = comparableSize(before.size, replicas);
      const now = comparableSize(size, replicas);
      if (previous !== undefined && now !== undefined && previous.unit === now.unit && now.value < previous.value) {
        problems.push({
          field: sizePath,
          message: `must not be smaller than the wave before it (${before.path} is ${JSON.stringify(before.size)}): sizes are cumulative, each counts the pods of every wave up to it`,
        });
      }
    }
    before = { size, path: sizePath };
    if (index === list.length - 1) checkLastWave(problems, size, sizePath, replicas);
  });
  return waves;
}

/** A size as something another can be compared with: shares with shares, counts with counts (or both as counts when replicas are known). */
function comparableSize(size: IntOrPercent, replicas: number | undefined): { unit: 'count' | 'percent'; value: number } | undefined {
  if (typeof size === 'number') return { unit: 'count', value: size };
  const percent = parsePercent(size);
  if (percent === undefined) return undefined;
  if (replicas === undefined) return { unit: 'percent', value: percent };
  return { unit: 'count', value: Math.ceil((percent * replicas) / 100) };
}

function checkLastWave(problems: FieldError[], size: IntOrPercent, path: string, replicas: number | undefined): void {
  if (typeof size === 'string' && parsePercent(size) === 100) return;
  if (typeof size === 'number' && replicas !== undefined && size >= replicas) return;
  const orCount = replicas === undefined ? '' : ` (or a count of at least spec.replicas, ${replicas})`;
  problems.push({
    field: path,
    message: `the last wave must be "100%"${orCount}, got ${JSON.stringify(size)}: the last wave is the one that updates every pod`,
  });
}

function validateWavePause(problems: FieldError[], value: unknown, path: string): RolloutWave['pause'] {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return undefined;
  checkFields(problems, input, path, ['seconds']);
  const seconds = readInteger(problems, get(input, 'seconds'), at(path, 'seconds'), 0);
  return seconds === undefined ? {} : { seconds };
}

const ROLLOUT_LIMITS = { minReadySeconds: 0, progressDeadlineSeconds: 1, revisionHistoryLimit: 0 } as const;

/** The spec fields every rolling workload has (see ROLLOUT_SPEC_FIELDS); only those given are returned. */
function validateRolloutSpec(problems: FieldError[], input: Fields, path: string): WorkloadRolloutSpec {
  const spec: WorkloadRolloutSpec = {};
  for (const [field, min] of Object.entries(ROLLOUT_LIMITS) as [keyof typeof ROLLOUT_LIMITS, number][]) {
    const read = readInteger(problems, get(input, field), at(path, field), min);
    if (read !== undefined) spec[field] = read;
  }
  const paused = readBoolean(problems, get(input, 'paused'), at(path, 'paused'));
  if (paused !== undefined) spec.paused = paused;
  // As Kubernetes: a pod must have a chance to count as available before it counts as failed.
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    problems.push({
      field: at(path, 'progressDeadlineSeconds'),
      message: `must be greater than ${at(path, 'minReadySeconds')} (${spec.minReadySeconds ?? 0}), got ${spec.progressDeadlineSeconds}`,
    });
  }
  return spec;
}

/** `"25%"` → 25, `"0.5%"` → 0.5; anything else undefined. */
function parsePercent(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A count (a whole number, at least `minCount`) or a share (`"25%"`, a range `percent` accepts). */
function readIntOrPercent(
  problems: FieldError[],
  value: unknown,
  path: string,
  rule: { minCount: number; percent: (share: number) => boolean; expected: string },
): IntOrPercent | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= rule.minCount) return value;
  if (typeof value === 'string') {
    const percent = parsePercent(value);
    if (percent !== undefined && rule.percent(percent)) return value;
  }
  problems.push({ field: path, message: `must be ${rule.expected}, got ${describeValue(value)}` });
  return undefined;
}

// ---- DaemonSet

const DAEMONSET_SPEC_FIELDS = ['selector', 'template', 'updateStrategy', ...ROLLOUT_SPEC_FIELDS];
/** Kubernetes' DaemonSet field that has been gone since extensions/v1beta1. */
const DAEMONSET_SPEC_UNSUPPORTED = ['templateGeneration'];

/**
 * A DaemonSet: a template, the selector that recognises its pods (defaulted and checked as a
 * Deployment's), its update strategy, and the rollout fields. Its template picks devices with
 * `nodeSelector` and `deviceSelector`; `nodeName` would pin every pod to one device, so it is
 * refused.
 */
function validateDaemonSet(problems: FieldError[], root: Fields): DaemonSet {
  const metadata = validateMetadata(problems, get(root, 'metadata'), 'DaemonSet');
  const input = readObject(problems, required(problems, root, 'spec', '', 'with a template'), 'spec');
  if (input === undefined) {
    const placeholder: DaemonSetSpec = { template: { spec: { containers: [] } } };
    return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata, spec: placeholder };
  }
  checkFields(problems, input, 'spec', DAEMONSET_SPEC_FIELDS, [], DAEMONSET_SPEC_UNSUPPORTED);

  const templateInput = required(problems, input, 'template', 'spec', 'with metadata.labels and a pod spec');
  const template = validateTemplate(problems, templateInput, 'DaemonSet');
  if (template.spec.nodeName !== undefined) {
    problems.push({
      field: 'spec.template.spec.nodeName',
      message: 'must be absent in a DaemonSet: it runs a pod on every device its nodeSelector and deviceSelector match',
    });
  }
  const checkedSelector = validateSelectorObject(problems, get(input, 'selector'), 'spec.selector');
  const selector = defaultSelector(problems, checkedSelector, template, metadata.name, 'DaemonSet');
  const updateStrategy = validateStrategy(problems, get(input, 'updateStrategy'), 'spec.updateStrategy', DAEMONSET_STRATEGY);
  const spec: DaemonSetSpec = { selector, template, updateStrategy, ...validateRolloutSpec(problems, input, 'spec') };
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata, spec };
}

// ---- Secret

/** What is wrong with a key of a Secret's data, or undefined. */
export function secretKeyProblem(key: string): string | undefined {
  if (key === '') return 'must not be empty';
  if (key === '.' || key === '..') return `must not be "${key}"`;
  if (key.length > SECRET_KEY_MAX_LENGTH) return `must be at most ${SECRET_KEY_MAX_LENGTH} characters (it has ${key.length})`;
  if (!SECRET_KEY_PATTERN.test(key)) return `"${key}" must be letters, digits, "-", "_" and "." only`;
  return undefined;
}

/** Standard base64 with its padding, as Kubernetes reads `data`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * `stringData` is folded into `data` (its keys win, as in Kubernetes) and never kept, so the
 * hub holds one form of each value. Problems name keys, never values.
 */
function validateSecret(problems: FieldError[], root: Fields): Secret {
  const metadata = validateMetadata(problems, get(root, 'metadata'), 'Secret');
  const type = readString(problems, get(root, 'type'), 'type') ?? DEFAULT_SECRET_TYPE;
  if (type.trim() === '' || /\s/.test(type) || type.length > 253) {
    problems.push({ field: 'type', message: 'must be a word such as Opaque, without whitespace, at most 253 characters' });
  }
  const data: Record<string, string> = {};
  let bytes = 0;
  const notBase64 = (text: string): string | undefined =>
    BASE64.test(text) ? undefined : 'must be base64 (the value is not shown); give plain text in stringData instead';
  for (const [key, text] of readSecretValues(problems, get(root, 'data'), 'data', notBase64)) data[key] = text;
  for (const [key, text] of readSecretValues(problems, get(root, 'stringData'), 'stringData')) {
    data[key] = Buffer.from(text, 'utf8').toString('base64');
  }
  for (const [key, text] of Object.entries(data)) bytes += Buffer.byteLength(key) + Buffer.from(text, 'base64').length;
  if (bytes > SECRET_MAX_BYTES) {
    problems.push({
      field: 'data',
      message:
        `holds ${bytes} bytes of keys and values (with stringData); a Secret holds at most ${SECRET_MAX_BYTES} bytes ` +
        '(256 KiB): split it into several Secrets',
    });
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata, type, data };
}

/** The entries of `data` or `stringData` with a good key and a good string value; no problem echoes a value. */
function readSecretValues(
  problems: FieldError[],
  value: unknown,
  path: string,
  valueProblem: (text: string) => string | undefined = () => undefined,
): [string, string][] {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return [];
  const entries: [string, string][] = [];
  for (const [key, item] of Object.entries(input)) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    const keyProblem = secretKeyProblem(key);
    if (keyProblem !== undefined) problems.push({ field: entryPath, message: keyProblem });
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string') {
      const scalar = typeof item === 'number' || typeof item === 'boolean';
      problems.push({
        field: entryPath,
        message: `must be a string, got ${scalar ? `a ${typeof item}; quote it in YAML` : describeKind(item)} (the value is not shown)`,
      });
      continue;
    }
    const problem = valueProblem(item);
    if (problem !== undefined) problems.push({ field: entryPath, message: problem });
    else if (keyProblem === undefined) entries.push([key, item]);
  }
  return entries;
}

/** What a value is, without what it holds. */
function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}

// ---- Reading untyped input. Each reader records what is wrong at `path` and returns
// ---- undefined for a value it cannot use; the caller carries on, so every problem is found.

type Fields = Record<string, unknown>;

/** An own field; null is "not set", as in Kubernetes. */
function get(object: Fields, key: string): unknown {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  return value === null ? undefined : value;
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The field's value, after recording that it is missing when it is. */
function required(problems: FieldError[], object: Fields, key: string, path: string, what?: string): unknown {
  const value = get(object, key);
  if (value === undefined) {
    problems.push({
      field: at(path, key),
      message: what === undefined ? 'is required' : `is required, ${what}`,
    });
  }
  return value;
}

function readObject(problems: FieldError[], value: unknown, path: string): Fields | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Fields;
  if (value !== undefined) {
    problems.push({
      field: path,
      message: `must be an object (a mapping of fields), got ${describeValue(value)}`,
    });
  }
  return undefined;
}

function optionalObject(problems: FieldError[], value: unknown, path: string): Fields | undefined {
  return value === undefined ? undefined : readObject(problems, value, path);
}

function readList(problems: FieldError[], value: unknown, path: string): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value !== undefined) problems.push({ field: path, message: `must be a list, got ${describeValue(value)}` });
  return undefined;
}

function optionalList(problems: FieldError[], value: unknown, path: string): unknown[] | undefined {
  return value === undefined ? undefined : readList(problems, value, path);
}

function readString(problems: FieldError[], value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined) return undefined;
  const scalar = typeof value === 'number' || typeof value === 'boolean';
  const quoteHint = scalar ? `; quote it in YAML: "${String(value)}"` : '';
  problems.push({ field: path, message: `must be a string, got ${describeValue(value)}${quoteHint}` });
  return undefined;
}

function readStringList(problems: FieldError[], value: unknown, path: string): string[] | undefined {
  const list = optionalList(problems, value, path);
  if (list === undefined) return undefined;
  const strings: string[] = [];
  list.forEach((item, index) => {
    const text = readString(problems, item ?? null, `${path}[${index}]`);
    if (text !== undefined) strings.push(text);
  });
  return strings;
}

function readBoolean(problems: FieldError[], value: unknown, path: string): boolean | undefined {
  if (typeof value === 'boolean' || value === undefined) return value;
  problems.push({ field: path, message: `must be true or false, got ${describeValue(value)}` });
  return undefined;
}

function readInteger(
  problems: FieldError[],
  value: unknown,
  path: string,
  min: number,
  max?: number,
): number | undefined {
  if (value === undefined) return undefined;
  const range = max === undefined ? `${min} or more` : `from ${min} to ${max}`;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    problems.push({ field: path, message: `must be an integer (${range}), got ${describeValue(value)}` });
    return undefined;
  }
  if (value < min || (max !== undefined && value > max)) {
    problems.push({ field: path, message: `must be ${range}, got ${value}` });
    return undefined;
  }
  return value;
}

function readEnum<T extends string>(
  problems: FieldError[],
  value: unknown,
  path: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
  const didYouMean = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  problems.push({
    field: path,
    message: `must be one of ${allowed.join(', ')}, got ${describeValue(value)}${didYouMean}`,
  });
  return undefined;
}

/** A map of strings, each key and value checked by the given rules (which name the culprit). */
function readStringMap(
  problems: FieldError[],
  value: unknown,
  path: string,
  keyProblem: (key: string) => string | undefined,
  valueProblem: (value: string) => string | undefined,
): Record<string, string> | undefined {
  const input = optionalObject(problems, value, path);
  if (input === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(input)) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    const problem = keyProblem(key);
    if (problem !== undefined) problems.push({ field: entryPath, message: problem });
    const text = readString(problems, item, entryPath);
    if (text === undefined) continue;
    const textProblem = valueProblem(text);
    if (textProblem !== undefined) problems.push({ field: entryPath, message: textProblem });
    if (problem === undefined && textProblem === undefined) map[key] = text;
  }
  return map;
}

/**
 * Strict field validation: every field must be known. `ignored` fields are allowed and
 * dropped; `unsupported` ones are Kubernetes fields Flotilla has no equivalent for.
 */
function checkFields(
  problems: FieldError[],
  object: Fields,
  path: string,
  known: readonly string[],
  ignored: readonly string[] = [],
  unsupported: readonly string[] = [],
): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || ignored.includes(key)) continue;
    const field = at(path, key);
    if (unsupported.includes(key)) {
      problems.push({ field, message: `is a Kubernetes field that Flotilla does not support; remove it` });
      continue;
    }
    const suggestion = closest(key, known);
    const hint = suggestion === undefined ? `known fields here: ${known.join(', ')}` : `did you mean ${suggestion}?`;
    problems.push({ field, message: `unknown field "${key}"; ${hint}` });
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The candidate a typo most likely meant: same letters in another case, or a few edits away. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // One edit per four letters: "imagee" → image, "contaners" → containers, but not Service → Device.
  const allowed = Math.max(1, Math.floor(word.length / 4));
  return bestDistance <= allowed ? best : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): "lables" is one swap from "labels". */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cell = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) best = Math.min(best, cell(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row !== undefined) row[j] = best;
    }
  }
  return cell(a.length, b.length);
}

// ---- The error

function documentName(input: unknown, index: number | undefined): string {
  const fields = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Fields) : {};
  const kind = typeof fields.kind === 'string' && fields.kind !== '' ? fields.kind : undefined;
  const metadata = fields.metadata;
  const rawName = typeof metadata === 'object' && metadata !== null ? (metadata as Fields).name : undefined;
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : undefined;
  if (index === undefined) {
    if (kind !== undefined && name !== undefined) return `${kind} "${name}"`;
    return kind ?? 'the manifest';
  }
  const identity =
    kind !== undefined && name !== undefined ? `${kind} ${name}` : `${kind ?? 'no kind'}, ${name ?? 'no name'}`;
  return `document ${index + 1} (${identity})`;
}

/** `invalid()`, except that a problem of the document as a whole (field "") names no field. */
function invalidDocument(what: string, problems: FieldError[]): FlotillaError {
  const details = problems.length > 0 ? problems : [{ field: '', message: 'is not a valid manifest' }];
  if (!details.some((detail) => detail.field === '')) return invalid(what, details);
  const lines = details.map((detail) => (detail.field === '' ? detail.message : `${detail.field}: ${detail.message}`));
  return new FlotillaError('Invalid', `${what} is invalid: ${lines.join('; ')}`, { details });
}
