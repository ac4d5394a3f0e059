/**
 * A DaemonSet's pods as the controller creates them: already bound to their device (the
 * scheduler never sees them), owned by the DaemonSet, labelled with the template's hash, and
 * tolerating what every daemon pod tolerates (placement.ts).
 */
import { randomBytes } from 'node:crypto';
import type { DaemonSet, Pod, PodTemplate } from '../../../shared/objects.js';
import { TEMPLATE_HASH_LABEL } from '../rollout/revisions.js';
import { daemonTolerations } from './placement.js';

/** Kubernetes' alphabet for generated names: no vowels (no words), no look-alikes (0/o, 1/l). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters of SUFFIX_ALPHABET, as Kubernetes' generateName. */
export function randomSuffix(): string {
  let suffix = '';
  for (const byte of randomBytes(5)) suffix += SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length];
  return suffix;
}

/**
 * The DaemonSet's pod of `template` (whose hash is `hash`) for `device`:
 * `<daemonset>-<hash>-<random>`, which validation keeps within a DNS label by capping
 * DaemonSet names at 47 characters.
 */
export function daemonPod(
  daemonSet: DaemonSet,
  template: PodTemplate,
  hash: string,
  device: string,
  now: Date,
  name = `${daemonSet.metadata.name}-${hash}-${randomSuffix()}`,
): Pod {
  const { metadata } = daemonSet;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: metadata.namespace ?? 'default',
      labels: { ...template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: metadata.name, uid: metadata.uid ?? '', controller: true }],
    },
    spec: { ...template.spec, tolerations: daemonTolerations(template.spec.tolerations), nodeName: device },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now.toISOString() }],
    },
  };
}

/** "pod a", or "3 pods: a, b, c", or "1000 pods: a, b, c, d, e and 995 more". */
export function describePods(names: readonly string[]): string {
  if (names.length === 1) return `pod ${names[0]}`;
  const shown = names.slice(0, 5).join(', ');
  return `${names.length} pods: ${shown}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
}
