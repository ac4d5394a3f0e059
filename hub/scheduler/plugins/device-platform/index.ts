/**
 * device-platform: a pod that asks for a CPU architecture or an operating system runs only on
 * devices that report it. The pod asks through its nodeSelector or deviceSelector with the
 * keys Kubernetes' nodes carry, `kubernetes.io/arch` and `kubernetes.io/os` (also their
 * `beta.` forms and Flotilla's `flotilla.io/arch`, `flotilla.io/os`), with any operator:
 * `nodeSelector: {kubernetes.io/arch: arm64}`, `deviceSelector: "kubernetes.io/arch in (arm64,arm)"`.
 *
 * The rule: these keys are judged against what the device's agent reports in `status.info`
 * (its engine's architecture and OS), never against labels, so a label set by hand cannot send
 * an arm64 image to an amd64 box. Names are Kubernetes' (GOARCH): `amd64`, `arm64`, `arm`,
 * `386`; what engines and Node.js call them (`x86_64`, `x64`, `aarch64`, `armv7l`) means the
 * same, on either side. A device that has not reported its platform yet takes no pod that
 * asks for one. Which platforms an image is built for is not looked at: the pod says.
 *
 * Devices share a few platforms, so the pre-filter works out the matching devices once per
 * platform requirement and fleet snapshot, and a pod that asks for none skips the plugin.
 */
import type { Device, Labels } from '../../../../shared/objects.js';
import type { Selector } from '../../../../shared/selector.js';
import { preFilterResult, Status, type FilterPlugin, type PreFilterResult } from '../../framework.js';
import { ARCH_KEYS, canonicalArch, canonicalOs, OS_KEYS, podSelectionOf } from '../../pod-selection.js';
import type { FleetSnapshot } from '../../snapshot.js';

export const NAME = 'device-platform';

const NOT_REPORTED = Status.unresolvable('device has not reported its architecture and OS yet');

/** What a device reports, as the labels a platform requirement is matched against. */
interface Platform {
  /** `linux/arm64`, as people write a platform. */
  text: string;
  labels: Labels;
}

export function create() {
  const platforms = new WeakMap<Device, Platform | undefined>();
  /** By requirement, per fleet snapshot: the matching devices; and one mismatch status per platform. */
  const answers = new WeakMap<Selector, WeakMap<FleetSnapshot, PreFilterResult | Status>>();
  const mismatches = new WeakMap<Selector, Map<string, Status>>();

  function platformOf(device: Device): Platform | undefined {
    if (platforms.has(device)) return platforms.get(device);
    const platform = reportedPlatform(device);
    platforms.set(device, platform);
    return platform;
  }

  function judge(selector: Selector, device: Device): Status {
    const platform = platformOf(device);
    if (platform === undefined) return NOT_REPORTED;
    if (selector.matches(platform.labels)) return Status.success();
    let byPlatform = mismatches.get(selector);
    if (byPlatform === undefined) mismatches.set(selector, (byPlatform = new Map()));
    let status = byPlatform.get(platform.text);
    if (status === undefined) {
      status = Status.unresolvable(`device is ${platform.text}, not ${selector.toString()}`);
      byPlatform.set(platform.text, status);
    }
    return status;
  }

  return {
    name: NAME,
    preFilter(ctx) {
      const selection = podSelectionOf(ctx);
      if (selection instanceof Status) return selection;
      const selector = selection.platform;
      if (selector === null) return Status.skip();
      let perFleet = answers.get(selector);
      if (perFleet === undefined) answers.set(selector, (perFleet = new WeakMap()));
      let answer = perFleet.get(ctx.fleet);
      if (answer === undefined) {
        const matching: number[] = [];
        for (const { index, device } of ctx.fleet.devices) if (judge(selector, device).isSuccess()) matching.push(index);
        answer = matching.length === ctx.fleet.devices.length ? Status.skip() : preFilterResult(matching, { exact: true });
        perFleet.set(ctx.fleet, answer);
      }
      return answer;
    },
    filter(ctx, _pod, { device }) {
      const selection = podSelectionOf(ctx);
      if (selection instanceof Status) return selection;
      return selection.platform === null ? Status.success() : judge(selection.platform, device);
    },
  } satisfies FilterPlugin;
}

function reportedPlatform(device: Device): Platform | undefined {
  const info = device.status?.info;
  if (info === undefined || info.arch === '' || info.os === '') return undefined;
  const arch = canonicalArch(info.arch);
  const os = canonicalOs(info.os);
  const labels: Labels = {};
  for (const key of ARCH_KEYS) labels[key] = arch;
  for (const key of OS_KEYS) labels[key] = os;
  return { text: `${os}/${arch}`, labels };
}
