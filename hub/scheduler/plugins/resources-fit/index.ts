/**
 * resources-fit: the pod's request, added to what the device's pods already request, must fit
 * the device's capacity: cpu, memory and the number of pods, as Kubernetes' NodeResourcesFit.
 * A resource the pod does not ask for never keeps it off a device.
 */
import { formatCpu, formatMemory } from '../../../../shared/quantity.js';
import { Status, type FilterPlugin, type Reason } from '../../framework.js';
import { requestOf, type PodRequest, type ResourceAmounts } from '../../resources.js';
import type { DeviceSnapshot } from '../../snapshot.js';

export const NAME = 'resources-fit';

const NO_CAPACITY = Status.unschedulable('device has not reported capacity yet');

export function create() {
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
      const shortfalls = shortfallsOf(requestOf(ctx), device, capacity);
      return shortfalls === undefined ? Status.success() : Status.unschedulable(...shortfalls);
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
    shortfalls.push({ reason: `too many pods (${used.pods} of ${capacity.pods})`, summary: 'too many pods' });
  }
  if (cpuShort) {
    const shown = `requested ${formatCpu(request.cpuMillis)}, ${formatCpu(Math.max(0, freeCpu))} free of ${formatCpu(capacity.cpuMillis)}`;
    shortfalls.push({ reason: `insufficient cpu (${shown})`, summary: 'insufficient cpu' });
  }
  if (memoryShort) {
    const shown = `requested ${formatMemory(request.memoryBytes)}, ${formatMemory(Math.max(0, freeMemory))} free of ${formatMemory(capacity.memoryBytes)}`;
    shortfalls.push({ reason: `insufficient memory (${shown})`, summary: 'insufficient memory' });
  }
  return shortfalls;
}
