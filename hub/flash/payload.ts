/**
 * Everything an install puts on a device, as data: the files with their modes, the
 * directories it makes, and the link that enables the service. Written into a bundle for
 * install.sh to copy, or straight into a mounted image by `flotilla flash --target`.
 */
import type { FirmwareProfile } from '../../agent/profile.js';
import { agentEnvironment, type AgentSettings } from './agent-env.js';
import type { DeviceLayout } from './device-layout.js';
import { launcherScript } from './launcher.js';
import { systemdUnit } from './systemd-unit.js';

export interface PayloadFile {
  /** Absolute path on the device. */
  path: string;
  content: string | Uint8Array;
  mode: number;
}

export interface PayloadDirectory {
  path: string;
  mode: number;
}

export interface DevicePayload {
  directories: PayloadDirectory[];
  files: PayloadFile[];
  /** A symbolic link at `path` to `target`, as `systemctl enable` makes it. */
  enableLink: { path: string; target: string };
}

export interface PayloadInputs {
  profile: FirmwareProfile;
  layout: DeviceLayout;
  settings: AgentSettings;
  agentScript: string;
  caPem: string;
  /** A Node.js binary for the device, for profiles whose Node.js comes with the bundle. */
  nodeBinary?: Uint8Array;
}

export function devicePayload({ profile, layout, settings, agentScript, caPem, nodeBinary }: PayloadInputs): DevicePayload {
  const files: PayloadFile[] = [
    { path: layout.agentScript, content: agentScript, mode: 0o644 },
    { path: layout.launcher, content: launcherScript(profile, layout), mode: 0o755 },
    // The join token is in it: root only.
    { path: layout.configFile, content: agentEnvironment(settings, layout), mode: 0o600 },
    { path: layout.caFile, content: caPem, mode: 0o644 },
    { path: layout.profileFile, content: `${JSON.stringify(profile, null, 2)}\n`, mode: 0o644 },
    { path: layout.unitFile, content: systemdUnit(profile, layout), mode: 0o644 },
  ];
  if (nodeBinary !== undefined) files.push({ path: layout.bundledNode, content: nodeBinary, mode: 0o755 });
  return {
    // The agent's identity (its private key) is kept under the state directory.
    directories: [{ path: layout.stateDir, mode: 0o700 }],
    files,
    enableLink: { path: layout.enableLink, target: layout.unitFile },
  };
}
