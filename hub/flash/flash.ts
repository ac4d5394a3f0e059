/**
 * `flotilla flash`: an install bundle for one device of a firmware profile. Every input is
 * checked, and the destination too, before anything is fetched, built or written, so a
 * refusal leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FirmwareProfile } from '../../agent/profile.js';
import { FlotillaError } from '../../shared/errors.js';
import { parseLabelList } from '../../shared/labels.js';
import { deviceNameProblem } from '../../shared/topics.js';
import { parseJoinToken } from '../../shared/join-token.js';
import { buildAgentBundle } from './agent-bundle.js';
import type { AgentSettings } from './agent-env.js';
import { bundleEntries, checkBundleDirectory, writeBundleDirectory, writeBundleTarball, writeIntoRoot } from './bundle-output.js';
import { deviceLayout, type DeviceLayout } from './device-layout.js';
import { fetchHubCa, readHubCa, type CaFetcher } from './hub-ca.js';
import { installScript } from './install-script.js';
import { nodeAdvice } from './node-advice.js';
import { devicePayload } from './payload.js';
import { imageWarnings, rootFilesystemProblem } from './requirements.js';

export type FlashDestination =
  /** A directory, or a file ending in .tar.gz or .tgz. */
  | { out: string }
  /** A mounted root filesystem. */
  | { target: string };

export interface FlashRequest {
  profile: FirmwareProfile;
  token: string;
  destination: FlashDestination;
  deviceName?: string;
  /** role=camera,site=a */
  labels?: string;
  /** The hub's CA, instead of fetching it from the hub the token names. */
  caFile?: string;
  /** A Node.js binary for the device, carried in the bundle. */
  nodeBinary?: string;
  /** Progress lines for people. */
  progress?: (line: string) => void;
  /** Seams for tests: how the CA is fetched and the agent built. */
  fetchCa?: CaFetcher;
  buildAgent?: () => Promise<string>;
}

export interface FlashResult {
  kind: 'directory' | 'tarball' | 'target';
  path: string;
  /** The hub the device will join. */
  hub: string;
  layout: DeviceLayout;
  /** With --target: the device paths written or changed; none when all was right already. */
  changed: string[];
  /** What the device or image still lacks, with how to add it. */
  warnings: string[];
}

export function isTarballPath(path: string): boolean {
  return path.endsWith('.tar.gz') || path.endsWith('.tgz');
}

/** The name of a bundle's top directory inside its tarball: the file name without .tar.gz. */
export function tarballTopDirectory(path: string): string {
  return basename(path).replace(/\.(tar\.gz|tgz)$/, '');
}

export async function flash(request: FlashRequest): Promise<FlashResult> {
  const progress = request.progress ?? (() => undefined);
  const { profile } = request;
  if (profile.serviceManager !== 'systemd') {
    throw new FlotillaError('Invalid', `firmware profile ${profile.name} uses ${profile.serviceManager}, and flash makes systemd services only`, {
      details: [{ field: 'serviceManager', message: 'must be "systemd" for flotilla flash' }],
    });
  }
  const settings: AgentSettings = { profile: profile.name, token: request.token.trim(), ...checkedIdentity(request) };
  const { claims } = parseJoinToken(settings.token);
  if ('target' in request.destination) {
    const problem = rootFilesystemProblem(request.destination.target);
    if (problem !== undefined) throw new FlotillaError('Invalid', `--target: ${problem}`);
  } else if (!isTarballPath(request.destination.out)) {
    checkBundleDirectory(request.destination.out);
  }
  const nodeBinary = request.nodeBinary === undefined ? undefined : readNodeBinary(request.nodeBinary);

  let caPem: string;
  if (request.caFile === undefined) {
    progress(`fetching the hub's CA from ${claims.hub}`);
    caPem = await fetchHubCa(claims.hub, claims.ca, request.fetchCa);
  } else {
    caPem = readHubCa(request.caFile, claims.ca);
  }
  progress(`the hub's CA matches the token's fingerprint ${claims.ca}`);

  progress('building the agent into one file');
  const agentScript = await (request.buildAgent ?? buildAgentBundle)();
  const layout = deviceLayout(profile);
  const payload = devicePayload({ profile, layout, settings, agentScript, caPem, ...(nodeBinary === undefined ? {} : { nodeBinary }) });
  const warnings: string[] = [];
  if (profile.node.source === 'bundled' && nodeBinary === undefined) {
    warnings.push(`profile ${profile.name} expects the bundle to carry Node.js, and no --node-binary was given: ${nodeAdvice(profile, layout)}`);
  }

  if ('target' in request.destination) {
    const root = request.destination.target;
    const changed = writeIntoRoot(root, payload);
    warnings.push(...imageWarnings(root, profile, layout));
    return { kind: 'target', path: root, hub: claims.hub, layout, changed, warnings };
  }
  const out = request.destination.out;
  const entries = bundleEntries(payload, installScript(profile, layout, payload));
  if (isTarballPath(out)) {
    writeBundleTarball(out, tarballTopDirectory(out), entries);
    return { kind: 'tarball', path: out, hub: claims.hub, layout, changed: [], warnings };
  }
  writeBundleDirectory(out, entries);
  return { kind: 'directory', path: out, hub: claims.hub, layout, changed: [], warnings };
}

function checkedIdentity(request: FlashRequest): Pick<AgentSettings, 'deviceName' | 'labels'> {
  const identity: Pick<AgentSettings, 'deviceName' | 'labels'> = {};
  if (request.deviceName !== undefined) {
    const problem = deviceNameProblem(request.deviceName);
    if (problem !== undefined) {
      throw new FlotillaError('Invalid', `--name "${request.deviceName}": a device name ${problem}`, { details: [{ field: 'name', message: problem }] });
    }
    identity.deviceName = request.deviceName;
  }
  if (request.labels !== undefined) {
    // Written back as parsed: no spaces around commas or signs for the config file to carry.
    const labels = parseLabelList(request.labels);
    identity.labels = Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
  }
  return identity;
}

function readNodeBinary(file: string): Uint8Array {
  let binary: Buffer;
  try {
    binary = readFileSync(file);
  } catch (error) {
    throw new FlotillaError('NotFound', `cannot read --node-binary ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // An ELF executable starts with 0x7f "ELF"; a tarball or a script here would fail on the device.
  if (binary.subarray(0, 4).toString('latin1') !== '\x7fELF') {
    throw new FlotillaError('Invalid', `--node-binary ${file} is not a Linux executable`, {
      hint: 'give bin/node from the Node.js linux tarball for the device, unpacked',
    });
  }
  return binary;
}
