/**
 * resources-fit: the pod's request, added to what the device's pods already request, must fit
 * the device's capacity: cpu, memory and the number of pods, as Kubernetes' NodeResourcesFit.
 * A resource the pod does not ask for never keeps it off a device.
 *
 * The capacity is the device's `status.capacity`, which its agent reports as what is left for
 * pods once its firmware profile's reserve (cpu and memory kept for the system) is taken off,
 * Kubernetes' allocatable: the reserve is never handed out.
 */
import { formatCpu, formatMemory } from '../../../../shared/quantity.js';
import { Status, type FilterPlugin, type Reason } from '../../framework.js';
import { requestOf, type PodRequest, type ResourceAmounts } from '../../resources.js';
import type { DeviceSnapshot } from '../../snapshot.js';

export const NAME = 'resources-fit';

const NO_CAPACITY = Status.unschedulable('device has not reported capacity yet');

/** A device's last refusal, with the figures it was made from. */
interface Refusal {
  request: PodRequest;
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
  status: Status;
}

export function create() {
  // Pods of one template meet the same full devices again and again in a search through a
  // busy fleet; while neither the request nor the device's load changed, the answer is the
  // one already given, and is not allocated anew.
  const refusals = new WeakMap<DeviceSnapshot, Refusal>();
  return {
    name: NAME,
    preFilter(ctx) {
      try {
        requestOf(ctx);
        return Status.success();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return Status.unresolvable(message);
      }
    },
    filter(ctx, _pod, device) {
      const capacity = device.capacity;
      if (capacity === undefined) {
        return device.capacityProblem === undefined
          ? NO_CAPACITY
          : Status.unresolvable({ reason: device.capacityProblem, summary: 'device has an unreadable capacity' });
      }
      const request = requestOf(ctx);
      const used = device.requested;
      const last = refusals.get(device);
      if (
        last !== undefined &&
        last.cpuMillis === used.cpuMillis &&
        last.memoryBytes === used.memoryBytes &&
        last.pods === used.pods &&
        last.request.cpuMillis === request.cpuMillis &&
        last.request.memoryBytes === request.memoryBytes
      ) {
        return last.status;
      }
      const shortfalls = shortfallsOf(request, device, capacity);
      if (shortfalls === undefined) return Status.success();
      const status = Status.unschedulable(...shortfalls);
      refusals.set(device, { request, cpuMillis: used.cpuMillis, memoryBytes: used.memoryBytes, pods: used.pods, status });
      return status;
    },
  } satisfies FilterPlugin;
}

/** What does not fit, or undefined when everything does; allocates only for a misfit. */
function shortfallsOf(request: PodRequest, device: DeviceSnapshot, capacity: Readonly<ResourceAmounts>): Reason[] | undefined {
  const used = device.requested;
  const freeCpu = capacity.cpuMillis - used.cpuMillis;
  const freeMemory = capacity.memoryBytes - used.memoryBytes;
  const tooManyPods = used.pods + 1 > capacity.pods;
  const cpuShort = request.cpuMillis > 0 && request.cpuMillis > freeCpu;
  const memoryShort = request.memoryBytes > 0 && request.memoryBytes > freeMemory;
  if (!tooManyPods && !cpuShort && !memoryShort) return undefined;

  const shortfalls: Reason[] = [];
  if (tooManyPods) {
    shortfalls.push({ reason: `too many pods (${used.pods} of ${capacity.pods})`, summary: 'device has no room for another pod' });
  }
  // Figures are written out only if someone reads them (see Status).
  if (cpuShort) {
    const [wanted, free, total] = [request.cpuMillis, Math.max(0, freeCpu), capacity.cpuMillis];
    shortfalls.push({
      reason: () => `insufficient cpu (requested ${formatCpu(wanted)}, ${formatCpu(free)} free of ${formatCpu(total)})`,
      summary: 'device has too little cpu',
    });
  }
  if (memoryShort) {
    const [wanted, free, total] = [request.memoryBytes, Math.max(0, freeMemory), capacity.memoryBytes];
    shortfalls.push({
      reason: () => `insufficient memory (requested ${formatMemory(wanted)}, ${formatMemory(free)} free of ${formatMemory(total)})`,
      summary: 'device has too little memory',
    });
  }
  return shortfalls;
}
