/**
 * label-spread: spreads a workload's pods across the values of a device label, its topology
 * key (`site`, `zone`, `power-feed`): among the devices that fit, prefers those whose value
 * holds the fewest pods of the pod's workload, so a site that loses its uplink takes only its
 * share. Scores as spread does, per value instead of per device: 100 * (most - here) / most,
 * where "most" is the largest count among the values of the candidate devices.
 *
 * The key comes from the hub's settings, `pluginArgs.label-spread.topologyKey`; there is no
 * default, as there is no label every fleet has. A device without the label scores 0, as
 * Kubernetes' PodTopologySpread scores a node without the topology key: a pod goes there only
 * when no labelled device fits as well otherwise. A pod without an owner has nothing to spread
 * and finds every device alike. Spreading across devices within a value is `spread`'s job:
 * give both plugins a weight.
 */
import { labelKeyProblem } from '../../../../shared/labels.js';
import { cycleKey, MAX_SCORE, MIN_SCORE, type ScorePlugin } from '../../framework.js';
import { argsObject, invalidArgs } from '../../plugin-args.js';
import { ownerUidOf } from '../../snapshot.js';

export const NAME = 'label-spread';

export interface LabelSpreadArgs {
  /** The label whose values pods are spread across. */
  topologyKey: string;
}

/** Label value → pods of the pod's workload on devices with that value. */
const VALUE_PODS = cycleKey<ReadonlyMap<string, number>>(`${NAME}/value-pods`);
const NO_PODS: ReadonlyMap<string, number> = new Map();

/** The raw score of a device without the label; normalized to MIN_SCORE. */
const UNLABELLED = -1;

export function create(args?: unknown) {
  const key = topologyKeyOf(args);
  return {
    name: NAME,
    score(ctx, pod, device) {
      const value = device.labels[key];
      if (value === undefined) return UNLABELLED;
      let valuePods = ctx.read(VALUE_PODS);
      if (valuePods === undefined) {
        const owner = ownerUidOf(pod);
        valuePods = owner === undefined ? NO_PODS : ctx.fleet.podsOfOwnerByLabel(owner, key);
        ctx.write(VALUE_PODS, valuePods);
      }
      return valuePods.get(value) ?? 0;
    },
    normalize(scores) {
      let most = 0;
      for (const entry of scores) if (entry.score > most) most = entry.score;
      for (const entry of scores) {
        if (entry.score === UNLABELLED) entry.score = MIN_SCORE;
        else entry.score = most === 0 ? MAX_SCORE : Math.trunc((MAX_SCORE * (most - entry.score)) / most);
      }
    },
  } satisfies ScorePlugin;
}

function topologyKeyOf(args: unknown): string {
  const { topologyKey } = argsObject(NAME, args, ['topologyKey']);
  if (topologyKey === undefined) {
    throw invalidArgs(NAME, [{ field: 'topologyKey', message: 'is required: the device label to spread pods across, e.g. site' }]);
  }
  if (typeof topologyKey !== 'string') {
    throw invalidArgs(NAME, [{ field: 'topologyKey', message: `must be a label key, e.g. site; got ${JSON.stringify(topologyKey)}` }]);
  }
  const problem = labelKeyProblem(topologyKey);
  if (problem !== undefined) throw invalidArgs(NAME, [{ field: 'topologyKey', message: problem }]);
  return topologyKey;
}
