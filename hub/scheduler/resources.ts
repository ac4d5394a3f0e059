/**
 * What a pod asks for and what a device offers, in numbers the plugins can add up.
 *
 * Quantities are parsed exactly (BigInt) by shared/quantity.ts, which is slow next to the
 * scheduler's per-pod budget; the same few strings ("100m", "128Mi") recur across thousands
 * of replicas, so parses are remembered by string.
 */
import { invalid, isFlotillaError } from '../../shared/errors.js';
import { DEFAULT_NAMESPACE, type DeviceCapacity, type Pod } from '../../shared/objects.js';
import { parseCpu, parseMemory } from '../../shared/quantity.js';
import { cycleKey, type CycleContext } from './framework.js';

/** What a pod asks for: the sum over its containers. */
export interface PodRequest {
  cpuMillis: number;
  memoryBytes: number;
}

/** What a device offers, or what its pods add up to; `pods` counts pods. */
export interface ResourceAmounts {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

// Enough for every distinct quantity of a real fleet; a flood of unique strings only empties it.
const MAX_REMEMBERED = 1024;

function remembered(parse: (quantity: string) => number): (quantity: string) => number {
  const known = new Map<string, number>();
  return (quantity) => {
    const hit = known.get(quantity);
    if (hit !== undefined) return hit;
    const value = parse(quantity);
    if (known.size >= MAX_REMEMBERED) known.clear();
    known.set(quantity, value);
    return value;
  };
}

export const cpuMillisOf = remembered(parseCpu);
export const memoryBytesOf = remembered(parseMemory);

/**
 * The pod's request: per container its requests, or else its limits (Kubernetes defaults a
 * request to the limit), resource by resource; a container that states neither asks for 0.
 * Throws an Invalid FlotillaError naming the field when a quantity cannot be read.
 */
export function podRequest(pod: Pod): PodRequest {
  let cpuMillis = 0;
  let memoryBytes = 0;
  pod.spec.containers.forEach((container, index) => {
    const { requests, limits } = container.resources ?? {};
    const cpu = requests?.cpu ?? limits?.cpu;
    const memory = requests?.memory ?? limits?.memory;
    if (cpu !== undefined) {
      const field = `spec.containers[${index}].resources.${requests?.cpu !== undefined ? 'requests' : 'limits'}.cpu`;
      cpuMillis += readQuantity(pod, field, () => cpuMillisOf(cpu));
    }
    if (memory !== undefined) {
      const field = `spec.containers[${index}].resources.${requests?.memory !== undefined ? 'requests' : 'limits'}.memory`;
      memoryBytes += readQuantity(pod, field, () => memoryBytesOf(memory));
    }
  });
  return { cpuMillis, memoryBytes };
}

const POD_REQUEST = cycleKey<PodRequest>('pod-request');

/** The cycle's pod's request, computed once however many devices and plugins ask. Throws as podRequest. */
export function requestOf(ctx: CycleContext): PodRequest {
  // Asked for every device: a read, without the closure `memo` would take.
  const known = ctx.read(POD_REQUEST);
  if (known !== undefined) return known;
  const request = podRequest(ctx.pod);
  ctx.write(POD_REQUEST, request);
  return request;
}

/** The device's capacity in numbers; throws a FlotillaError naming the field it cannot read. */
export function capacityAmounts(capacity: DeviceCapacity): ResourceAmounts {
  const cpuMillis = readField('status.capacity.cpu', () => cpuMillisOf(capacity.cpu));
  const memoryBytes = readField('status.capacity.memory', () => memoryBytesOf(capacity.memory));
  const pods = capacity.pods;
  if (!Number.isInteger(pods) || pods < 0) {
    throw invalid('device capacity', [{ field: 'status.capacity.pods', message: `${String(pods)} is not a whole number of pods` }]);
  }
  return { cpuMillis, memoryBytes, pods };
}

function readQuantity(pod: Pod, field: string, parse: () => number): number {
  const namespace = pod.metadata.namespace ?? DEFAULT_NAMESPACE;
  return readField(field, parse, `pod ${namespace}/${pod.metadata.name}`);
}

function readField(field: string, parse: () => number, what = 'device capacity'): number {
  try {
    return parse();
  } catch (error) {
    if (!isFlotillaError(error)) throw error;
    throw invalid(what, [{ field, message: error.message }]);
  }
}
