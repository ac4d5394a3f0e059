/**
 * Which devices a pod asks for, read once per pod and shared by the two plugins that judge
 * it: its nodeSelector and deviceSelector ANDed into one selector, then split in two.
 *
 * - Requirements on the platform keys (`kubernetes.io/arch`, `kubernetes.io/os`, their
 *   `beta.` and `flotilla.io/` forms) go to device-platform, which judges them by what the
 *   device reports in `status.info` rather than by its labels: a manifest copied from a
 *   cluster asks for `kubernetes.io/arch: arm64` and means the CPU, whatever labels say.
 * - Every other requirement goes to device-selector, against the device's labels.
 *
 * Replicas share their selectors, so a parse is remembered by the selectors' text and the same
 * Selector objects come back for every pod alike: plugins may remember answers by them.
 */
import { ARCH_LABEL } from '../../shared/labels.js';
import type { Labels, Pod } from '../../shared/objects.js';
import { parseSelector, selectorFromLabels, SelectorSyntaxError, Selector, type Requirement } from '../../shared/selector.js';
import { cycleKey, Status, type CycleContext } from './framework.js';

export const OS_LABEL = 'flotilla.io/os';

/** Keys that name the device's CPU architecture, as Kubernetes' well-known node labels and Flotilla's own. */
export const ARCH_KEYS: readonly string[] = ['kubernetes.io/arch', 'beta.kubernetes.io/arch', ARCH_LABEL];
/** Keys that name the device's operating system. */
export const OS_KEYS: readonly string[] = ['kubernetes.io/os', 'beta.kubernetes.io/os', OS_LABEL];

export interface PodSelection {
  /** Requirements on the device's labels; null when the pod has none. */
  readonly labels: Selector | null;
  /** Requirements on the device's arch and OS, with values in canonical form; null when none. */
  readonly platform: Selector | null;
}

const NOTHING_SELECTED: PodSelection = Object.freeze({ labels: null, platform: null });

// Replicas of one Deployment share their selectors, so a few entries serve thousands of pods.
const MAX_REMEMBERED = 512;
const remembered = new Map<string, PodSelection | Status>();

const SELECTION = cycleKey<PodSelection | Status>('pod-selection');

/** The cycle's pod's selection; an UnschedulableAndUnresolvable Status when a selector cannot be read. */
export function podSelectionOf(ctx: CycleContext): PodSelection | Status {
  return ctx.memo(SELECTION, () => podSelection(ctx.pod));
}

/** The pod's selection, worked out once per distinct pair of selectors. */
export function podSelection(pod: Pod): PodSelection | Status {
  const { nodeSelector, deviceSelector = '' } = pod.spec;
  const noNodeSelector = nodeSelector === undefined || Object.keys(nodeSelector).length === 0;
  if (noNodeSelector && deviceSelector.trim() === '') return NOTHING_SELECTED;
  const key = JSON.stringify([deviceSelector, noNodeSelector ? [] : Object.entries(nodeSelector).sort()]);
  let found = remembered.get(key);
  if (found === undefined) {
    found = selectionOf(nodeSelector ?? {}, deviceSelector);
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, found);
  }
  return found;
}

/** Kubernetes' names (GOARCH) for what engines and Node.js report: `x64` and `x86_64` are amd64. */
export function canonicalArch(arch: string): string {
  const lower = arch.trim().toLowerCase();
  return ARCH_SYNONYMS[lower] ?? lower;
}

const ARCH_SYNONYMS: Readonly<Record<string, string>> = {
  x64: 'amd64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  arm64v8: 'arm64',
  armv8: 'arm64',
  armv7: 'arm',
  armv7l: 'arm',
  armv6: 'arm',
  armv6l: 'arm',
  armhf: 'arm',
  ia32: '386',
  i386: '386',
  i686: '386',
  x86: '386',
};

export function canonicalOs(os: string): string {
  return os.trim().toLowerCase();
}

function selectionOf(nodeSelector: Labels, deviceSelector: string): PodSelection | Status {
  let fromLabels: Selector;
  let parsed: Selector;
  try {
    fromLabels = selectorFromLabels(nodeSelector);
  } catch (error) {
    return Status.unresolvable(`nodeSelector is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    parsed = parseSelector(deviceSelector);
  } catch (error) {
    const problem = error instanceof SelectorSyntaxError ? error.problem : error instanceof Error ? error.message : String(error);
    return Status.unresolvable(`deviceSelector "${deviceSelector}" is invalid ${problem}`);
  }
  const labels: Requirement[] = [];
  const platform: Requirement[] = [];
  for (const requirement of fromLabels.and(parsed).requirements) {
    if (ARCH_KEYS.includes(requirement.key)) platform.push({ ...requirement, values: requirement.values.map(canonicalArch) });
    else if (OS_KEYS.includes(requirement.key)) platform.push({ ...requirement, values: requirement.values.map(canonicalOs) });
    else labels.push(requirement);
  }
  return {
    labels: labels.length === 0 ? null : new Selector(labels),
    platform: platform.length === 0 ? null : new Selector(platform),
  };
}
