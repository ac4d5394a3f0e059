/**
 * How to get Node.js onto a device of a profile, for the messages install.sh, the launcher
 * and `flotilla flash` print when it is missing or too old.
 */
import type { FirmwareProfile } from '../../agent/profile.js';
import type { DeviceLayout } from './device-layout.js';

/** Node.js's names for the architectures in its download file names. */
export function nodeDownloadArch(profile: Pick<FirmwareProfile, 'arch' | 'armVersion'>): string {
  if (profile.arch === 'amd64') return 'x64';
  if (profile.arch === 'arm64') return 'arm64';
  return `armv${profile.armVersion ?? 7}l`;
}

export function nodeAdvice(profile: Pick<FirmwareProfile, 'arch' | 'armVersion' | 'node'>, layout: Pick<DeviceLayout, 'bundledNode'>): string {
  const major = profile.node.minimumVersion;
  switch (profile.node.source) {
    case 'nodesource':
      return (
        `install Node.js ${major} or later from NodeSource: ` +
        `curl -fsSL https://deb.nodesource.com/setup_${major}.x | bash - && apt-get install -y nodejs ` +
        `(on RPM systems: curl -fsSL https://rpm.nodesource.com/setup_${major}.x | bash - && dnf install -y nodejs)`
      );
    case 'distro':
      return `install the distribution's Node.js package, ${major} or later: apt-get install -y nodejs, dnf install -y nodejs or apk add nodejs`;
    case 'bundled': {
      const file = `node-v${major}.x.y-linux-${nodeDownloadArch(profile)}.tar.xz`;
      return (
        `put the official Node.js ${major} (or later) binary for linux-${nodeDownloadArch(profile)} at ${layout.bundledNode}: ` +
        `bin/node of ${file} from https://nodejs.org/dist/latest-v${major}.x/, or flash again with --node-binary <that file>`
      );
    }
  }
}
