/**
 * The agent's systemd unit. It starts after the network and the container engine, reads
 * every setting from the profile's config file, and is restarted whatever ends it: on a
 * device nobody is there to start it again.
 */
import type { FirmwareProfile, ProfileRuntime } from '../../agent/profile.js';
import { BOOT_TARGET, type DeviceLayout } from './device-layout.js';

/** The unit that brings up each engine's API socket. */
export const ENGINE_UNITS: Record<ProfileRuntime, string> = {
  docker: 'docker.service',
  // Rootful Podman serves the Docker API through socket activation.
  podman: 'podman.socket',
  'balena-engine': 'balena-engine.service',
};

export function systemdUnit(profile: Pick<FirmwareProfile, 'name' | 'runtime' | 'runtimeEndpoint'>, layout: DeviceLayout): string {
  const engine = ENGINE_UNITS[profile.runtime];
  return `[Unit]
Description=Flotilla agent (${profile.name}): runs the pods the hub assigns to this device
# Wants, not Requires: an engine restart must not stop the agent, which waits for the
# engine to answer again by itself.
Wants=network-online.target ${engine}
After=network-online.target ${engine}
# Never give up restarting: the device has no one to start it by hand.
StartLimitIntervalSec=0

[Service]
Type=simple
EnvironmentFile=${layout.configFile}
ExecStart=${layout.launcher}
Restart=always
RestartSec=5
# Root, because access to ${profile.runtimeEndpoint} is root in all but name: whoever can
# talk to the engine can start a privileged container. A separate user would add a group
# to manage on every OS image and protect nothing.
User=root
# Stopping the agent leaves its containers running: they are the engine's processes, not its.
TimeoutStopSec=30

[Install]
WantedBy=${BOOT_TARGET}
`;
}
