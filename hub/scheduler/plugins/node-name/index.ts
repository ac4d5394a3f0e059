/**
 * node-name: a pod that names its device in spec.nodeName may run there and nowhere else,
 * as Kubernetes' NodeName plugin. Its pre-filter names that one device, so the scheduler
 * looks at no other.
 */
import { cycleKey, preFilterResult, Status, type FilterPlugin } from '../../framework.js';

export const NAME = 'node-name';

const ELSEWHERE = cycleKey<Status>(`${NAME}/elsewhere`);

export function create() {
  return {
    name: NAME,
    preFilter(ctx) {
      const nodeName = ctx.pod.spec.nodeName;
      if (nodeName === undefined) return Status.skip();
      ctx.write(ELSEWHERE, Status.unresolvable(`device is not the pod's nodeName ${nodeName}`));
      const named = ctx.fleet.device(nodeName);
      return preFilterResult(named === undefined ? [] : [named.index], { exact: true });
    },
    filter(ctx, pod, device) {
      const nodeName = pod.spec.nodeName;
      if (nodeName === undefined || nodeName === device.name) return Status.success();
      return ctx.read(ELSEWHERE) ?? Status.unresolvable(`device is not the pod's nodeName ${nodeName}`);
    },
  } satisfies FilterPlugin;
}
