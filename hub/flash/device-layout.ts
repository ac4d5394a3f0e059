/**
 * Where an install puts each file on the device, from the firmware profile's paths. The
 * bundle's install.sh, `flotilla flash --target` and the systemd unit all read this one
 * layout, so they cannot disagree about a path.
 */
import { posix } from 'node:path';
import type { FirmwareProfile } from '../../agent/profile.js';

export const SERVICE_NAME = 'flotilla-agent';
export const UNIT_FILE_NAME = `${SERVICE_NAME}.service`;
/** The target a service enabled for boot hangs under, as `WantedBy=` in the unit names it. */
export const BOOT_TARGET = 'multi-user.target';

export interface DeviceLayout {
  /** The one-file agent. */
  agentScript: string;
  /** What the unit starts: a shell script that finds Node.js and runs the agent with it. */
  launcher: string;
  /** Where a Node.js binary carried by the bundle goes; the launcher prefers it to one on PATH. */
  bundledNode: string;
  /** FLOTILLA_* settings, the unit's EnvironmentFile. */
  configFile: string;
  /** The hub's CA certificate, pinned by the join token's fingerprint. */
  caFile: string;
  /** The firmware profile, named after itself as the agent's profile loader requires. */
  profileFile: string;
  stateDir: string;
  unitFile: string;
  /** The link `systemctl enable` makes, so the agent starts at boot. */
  enableLink: string;
}

export function deviceLayout(profile: Pick<FirmwareProfile, 'name' | 'installDir' | 'configFile' | 'stateDir'>): DeviceLayout {
  const configDir = posix.dirname(profile.configFile);
  return {
    agentScript: posix.join(profile.installDir, `${SERVICE_NAME}.mjs`),
    launcher: posix.join(profile.installDir, 'bin', SERVICE_NAME),
    bundledNode: posix.join(profile.installDir, 'node', 'bin', 'node'),
    configFile: profile.configFile,
    caFile: posix.join(configDir, 'ca.crt'),
    profileFile: posix.join(configDir, `${profile.name}.json`),
    stateDir: profile.stateDir,
    unitFile: posix.join('/etc/systemd/system', UNIT_FILE_NAME),
    enableLink: posix.join('/etc/systemd/system', `${BOOT_TARGET}.wants`, UNIT_FILE_NAME),
  };
}
