/**
 * A bound Pod as the agent receives it: everything needed to run it, nothing else. Values a
 * pod takes from Secrets are resolved here, into the document of the pod's own device only.
 */
import { FlotillaError } from '../../shared/errors.js';
import type { Container, Pod, Secret, SecretKeySelector } from '../../shared/objects.js';
import type { DesiredContainerMessage, DesiredPodMessage } from '../../shared/proto/codec.js';
import { parseCpu, parseMemory } from '../../shared/quantity.js';

const DEFAULT_GRACE_SECONDS = 10;

/** The Secret named so in a namespace, or undefined when there is none. */
export type SecretLookup = (namespace: string, name: string) => Secret | undefined;

/** A value a pod needs and cannot have yet: its Secret, or the key in it, does not exist. */
export interface MissingSecretValue {
  container: string;
  variable: string;
  /** The Secret's name, in the pod's namespace. */
  secret: string;
  key: string;
  /** Which of the two is missing. */
  missing: 'secret' | 'key';
}

export type DesiredPodResolution = { desired: DesiredPodMessage; missing?: undefined } | { desired?: undefined; missing: MissingSecretValue[] };

const noSecrets: SecretLookup = () => undefined;

/** Names of the Secrets (in the pod's namespace) the pod's containers take values from, each once. */
export function secretsReferencedBy(pod: Pod): string[] {
  const names = new Set<string>();
  for (const container of pod.spec.containers) {
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref !== undefined) names.add(ref.name);
    }
  }
  return [...names];
}

/**
 * The pod as its device should run it, or every value it still lacks. A reference marked
 * `optional` whose Secret or key is missing leaves its variable unset and holds nothing back.
 */
export function resolveDesiredPod(pod: Pod, secrets: SecretLookup): DesiredPodResolution {
  const namespace = pod.metadata.namespace ?? 'default';
  const missing: MissingSecretValue[] = [];
  const containers = pod.spec.containers.map((container) => desiredContainer(container, namespace, secrets, missing));
  if (missing.length > 0) return { missing };
  return {
    desired: {
      namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? '',
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
      containers,
    },
  };
}

/** `resolveDesiredPod` for a pod whose values are all at hand; throws NotFound naming what is missing. */
export function desiredPod(pod: Pod, secrets: SecretLookup = noSecrets): DesiredPodMessage {
  const resolution = resolveDesiredPod(pod, secrets);
  if (resolution.desired !== undefined) return resolution.desired;
  throw new FlotillaError('NotFound', `pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}: ${describeMissing(resolution.missing)}`);
}

/** `Secret default/db not found (env DB_PASSWORD of container main); …`: names, never values. */
export function describeMissing(missing: readonly MissingSecretValue[], namespace?: string): string {
  const where = namespace === undefined ? '' : `${namespace}/`;
  return missing
    .map((m) => {
      const what = m.missing === 'secret' ? `Secret ${where}${m.secret} not found` : `key "${m.key}" not found in Secret ${where}${m.secret}`;
      return `${what} (env ${m.variable} of container ${m.container})`;
    })
    .join('; ');
}

function desiredContainer(container: Container, namespace: string, secrets: SecretLookup, missing: MissingSecretValue[]): DesiredContainerMessage {
  // Limits are what the engine enforces; a request alone caps nothing, as in Kubernetes.
  const limits = container.resources?.limits;
  const env: DesiredContainerMessage['env'] = [];
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref === undefined) {
      env.push({ name: variable.name, value: variable.value ?? '' });
      continue;
    }
    const value = secretValue(secrets(namespace, ref.name), ref);
    if (typeof value === 'string') env.push({ name: variable.name, value });
    else if (ref.optional !== true) missing.push({ container: container.name, variable: variable.name, secret: ref.name, key: ref.key, missing: value.missing });
  }
  return {
    name: container.name,
    image: container.image,
    command: container.command ?? [],
    args: container.args ?? [],
    env,
    ports: (container.ports ?? []).map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort ?? 0, protocol: p.protocol ?? 'TCP' })),
    cpuMillis: limits?.cpu !== undefined ? parseCpu(limits.cpu) : 0,
    memoryBytes: limits?.memory !== undefined ? parseMemory(limits.memory) : 0,
    imagePullPolicy: container.imagePullPolicy ?? 'IfNotPresent',
  };
}

/** The key's value as text, or which of Secret and key is missing. */
function secretValue(secret: Secret | undefined, ref: SecretKeySelector): string | { missing: 'secret' | 'key' } {
  if (secret === undefined) return { missing: 'secret' };
  // Own keys only: a key named "constructor" must not find Object's.
  const encoded = secret.data !== undefined && Object.hasOwn(secret.data, ref.key) ? secret.data[ref.key] : undefined;
  if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
  // Folded into data on apply; a Secret written to the store directly may still carry it.
  const plain = secret.stringData !== undefined && Object.hasOwn(secret.stringData, ref.key) ? secret.stringData[ref.key] : undefined;
  return plain ?? { missing: 'key' };
}
