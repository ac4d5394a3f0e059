/**
 * spread: prefers devices with fewer pods of the pod's owner, so the replicas of a Deployment
 * land on different devices and one device going dark takes few of them down. Scores as
 * Kubernetes' SelectorSpread: 100 * (most - here) / most, where "most" is the largest count on
 * any candidate device.
 */
import { cycleKey, MAX_SCORE, type ScorePlugin } from '../../framework.js';
import { ownerUidOf } from '../../snapshot.js';

export const NAME = 'spread';

/** Device name → pods of the pod's owner there; empty for a pod without an owner. */
const OWNER_PODS = cycleKey<ReadonlyMap<string, number>>(`${NAME}/owner-pods`);
const NO_PODS: ReadonlyMap<string, number> = new Map();

export function create() {
  return {
    name: NAME,
    score(ctx, pod, device) {
      let ownerPods = ctx.read(OWNER_PODS);
      if (ownerPods === undefined) {
        const owner = ownerUidOf(pod);
        ownerPods = owner === undefined ? NO_PODS : ctx.fleet.podsOfOwner(owner);
        ctx.write(OWNER_PODS, ownerPods);
      }
      return ownerPods.get(device.name) ?? 0;
    },
    normalize(scores) {
      let most = 0;
      for (const entry of scores) if (entry.score > most) most = entry.score;
      for (const entry of scores) entry.score = most === 0 ? MAX_SCORE : Math.trunc((MAX_SCORE * (most - entry.score)) / most);
    },
  } satisfies ScorePlugin;
}
