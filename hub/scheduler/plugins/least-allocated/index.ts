/**
 * least-allocated: prefers devices with the most cpu and memory left once the pod is placed,
 * Kubernetes' LeastAllocated strategy: per resource (capacity - requested) * 100 / capacity,
 * averaged over cpu and memory with equal weight.
 */
import { MAX_SCORE, MIN_SCORE, type ScorePlugin } from '../../framework.js';
import { requestOf } from '../../resources.js';

export const NAME = 'least-allocated';

export function create() {
  return {
    name: NAME,
    score(ctx, _pod, device) {
      const capacity = device.capacity;
      if (capacity === undefined) return MIN_SCORE;
      const request = requestOf(ctx);
      const cpu = leastRequested(device.requested.cpuMillis + request.cpuMillis, capacity.cpuMillis);
      const memory = leastRequested(device.requested.memoryBytes + request.memoryBytes, capacity.memoryBytes);
      return Math.trunc((cpu + memory) / 2);
    },
  } satisfies ScorePlugin;
}

/** Whole numbers, as Kubernetes' integer arithmetic, so near-equal devices tie and the tie-break spreads them. */
function leastRequested(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return MIN_SCORE;
  return Math.trunc(((capacity - requested) * MAX_SCORE) / capacity);
}
