/**
 * node-name: a pod that names its device in spec.nodeName may run there and nowhere else,
 * as Kubernetes' NodeName plugin.
 */
import { cycleKey, Status, type FilterPlugin } from '../../framework.js';

export const NAME = 'node-name';

const ELSEWHERE = cycleKey<Status>(`${NAME}/elsewhere`);

export function create() {
  return {
    name: NAME,
    preFilter(ctx) {
      const nodeName = ctx.pod.spec.nodeName;
      if (nodeName !== undefined) ctx.write(ELSEWHERE, Status.unresolvable(`device is not the pod's nodeName ${nodeName}`));
      return Status.success();
    },
    filter(ctx, pod, device) {
      const nodeName = pod.spec.nodeName;
      if (nodeName === undefined || nodeName === device.name) return Status.success();
      return ctx.read(ELSEWHERE) ?? Status.unresolvable(`device is not the pod's nodeName ${nodeName}`);
    },
  } satisfies FilterPlugin;
}
