/** A bound Pod as the agent receives it: everything needed to run it, nothing else. */
import type { Pod } from '../../shared/objects.js';
import type { DesiredPodMessage } from '../../shared/proto/codec.js';
import { parseCpu, parseMemory } from '../../shared/quantity.js';

const DEFAULT_GRACE_SECONDS = 10;

export function desiredPod(pod: Pod): DesiredPodMessage {
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
    restartPolicy: pod.spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
    containers: pod.spec.containers.map((c) => {
      // Limits are what the engine enforces; a request alone caps nothing, as in Kubernetes.
      const limits = c.resources?.limits;
      return {
        name: c.name,
        image: c.image,
        command: c.command ?? [],
        args: c.args ?? [],
        env: (c.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
        ports: (c.ports ?? []).map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort ?? 0, protocol: p.protocol ?? 'TCP' })),
        cpuMillis: limits?.cpu !== undefined ? parseCpu(limits.cpu) : 0,
        memoryBytes: limits?.memory !== undefined ? parseMemory(limits.memory) : 0,
        imagePullPolicy: c.imagePullPolicy ?? 'IfNotPresent',
      };
    }),
  };
}
