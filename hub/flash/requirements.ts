/**
 * What a device needs before the agent can run (systemd, Node.js, the container engine), and
 * the checks `flotilla flash --target` makes of a mounted image. install.sh makes the same
 * checks in shell on the device itself.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FirmwareProfile, ProfileRuntime } from '../../agent/profile.js';
import type { DeviceLayout } from './device-layout.js';
import { nodeAdvice } from './node-advice.js';
import { ENGINE_UNITS } from './systemd-unit.js';

/** How to get each engine running, with its API socket. */
export const ENGINE_ADVICE: Record<ProfileRuntime, string> = {
  docker: 'install Docker Engine (https://docs.docker.com/engine/install/, or: curl -fsSL https://get.docker.com | sh) and start it: systemctl enable --now docker.service',
  podman: "install Podman (apt-get install -y podman, or dnf install -y podman) and start its Docker-compatible API socket: systemctl enable --now podman.socket",
  'balena-engine': 'install balenaEngine (curl -sfL https://balena.io/engine/install.sh | sh) and start it: systemctl enable --now balena-engine.service',
};

export const SYSTEMD_ADVICE = 'this bundle installs a systemd service; use an OS image that boots with systemd (Raspberry Pi OS, Debian, Ubuntu, RHEL all do)';

/** Where a root filesystem keeps systemd itself and the units packages install. */
export const SYSTEMD_BINARIES = ['lib/systemd/systemd', 'usr/lib/systemd/systemd'];
export const UNIT_DIRECTORIES = ['lib/systemd/system', 'usr/lib/systemd/system', 'etc/systemd/system'];
/** Where packages put node; a binary carried by the bundle is looked for too. */
export const NODE_BINARIES = ['usr/bin/node', 'usr/local/bin/node'];

/** A root filesystem is one with an etc/ directory; anything else is the wrong partition or path. */
export function rootFilesystemProblem(root: string): string | undefined {
  if (!existsSync(root)) return `${root} does not exist`;
  if (!statSync(root).isDirectory()) return `${root} is not a directory`;
  if (!existsSync(join(root, 'etc'))) {
    return `${root} does not look like a root filesystem: it has no etc/ directory (an SD card's boot partition has none either; mount its root partition, usually the second, and give that)`;
  }
  return undefined;
}

/**
 * What a mounted image lacks, each with how to add it. Warnings only: an image may get its
 * packages on first boot. Node.js is only looked for, as its version can be checked only by
 * running it, which the launcher does on the device.
 */
export function imageWarnings(root: string, profile: Pick<FirmwareProfile, 'arch' | 'armVersion' | 'node' | 'runtime'>, layout: DeviceLayout): string[] {
  const warnings: string[] = [];
  const has = (path: string): boolean => existsSync(join(root, path));
  if (!SYSTEMD_BINARIES.some(has)) warnings.push(`systemd is not in the image: ${SYSTEMD_ADVICE}`);
  if (![...NODE_BINARIES, layout.bundledNode].some(has)) warnings.push(`Node.js is not in the image: ${nodeAdvice(profile, layout)}`);
  const engineUnit = ENGINE_UNITS[profile.runtime];
  if (!UNIT_DIRECTORIES.some((directory) => has(join(directory, engineUnit)))) {
    warnings.push(`the image has no ${engineUnit}, so ${profile.runtime} is not installed: ${ENGINE_ADVICE[profile.runtime]}`);
  }
  return warnings;
}
