/**
 * Firmware profiles: how the agent runs on one board family (firmware-profiles/*.json).
 *
 * A profile is read by name from the profiles directory or from a path ending in .json, and
 * checked field by field against the same rules as firmware-profiles/schema.json. No JSON
 * Schema library is used, so the two are kept in step by test/firmware-profiles/profiles.test.ts.
 * Every problem is collected before throwing, so one run shows a profile author all of them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlotillaError, invalid, type FieldError } from '../shared/errors.js';
import { ARCH_LABEL, BOARD_LABEL, dnsLabelProblem, labelKeyProblem, labelValueProblem } from '../shared/labels.js';

export { ARCH_LABEL, BOARD_LABEL };
import { cpuProblem, memoryProblem, parseCpu, parseMemory } from '../shared/quantity.js';
import type { AgentOptions } from './config.js';

export const PROFILE_ARCHES = ['amd64', 'arm64', 'arm'] as const;
export const ARM_VERSIONS = [6, 7] as const;
export const PROFILE_RUNTIMES = ['docker', 'podman', 'balena-engine'] as const;
export const SERVICE_MANAGERS = ['systemd', 'openrc'] as const;
export const NODE_SOURCES = ['nodesource', 'distro', 'bundled'] as const;


/** The agent's own floor (package.json engines); a profile may ask for more, never less. */
export const MINIMUM_NODE_MAJOR = 20;

export type ProfileArch = (typeof PROFILE_ARCHES)[number];
export type ArmVersion = (typeof ARM_VERSIONS)[number];
export type ProfileRuntime = (typeof PROFILE_RUNTIMES)[number];
export type ServiceManager = (typeof SERVICE_MANAGERS)[number];
export type NodeSource = (typeof NODE_SOURCES)[number];

export interface NodeProvisioning {
  /** Lowest Node.js major version, as a string: "20". */
  minimumVersion: string;
  source: NodeSource;
  notes: string;
}

export interface HealthThresholds {
  memoryPressurePercent: number;
  diskPressurePercent: number;
  highTemperatureCelsius: number;
}

export interface FirmwareProfile {
  name: string;
  description: string;
  arch: ProfileArch;
  /** Present exactly when arch is "arm". */
  armVersion?: ArmVersion;
  runtime: ProfileRuntime;
  runtimeEndpoint: string;
  ociRuntime?: string;
  stateDir: string;
  installDir: string;
  configFile: string;
  serviceManager: ServiceManager;
  node: NodeProvisioning;
  labels: Record<string, string>;
  /** Kubernetes quantities: `{ cpu: "250m", memory: "256Mi" }`. */
  reserved: { cpu: string; memory: string };
  health: HealthThresholds;
  heartbeatSeconds: number;
}

/**
 * Where the profiles are: `firmware-profiles/` beside `agent/` in the source tree, and
 * `dist/firmware-profiles/` beside `dist/agent/` once built.
 */
export function defaultProfilesDirectory(): string {
  return fileURLToPath(new URL('../firmware-profiles/', import.meta.url));
}

/** Names of the profiles in a directory, sorted; none when the directory does not exist. */
export function listFirmwareProfiles(directory: string = defaultProfilesDirectory()): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json') && file !== SCHEMA_FILE)
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/**
 * A profile by name ("raspberry-pi-4", looked up in `directory`) or by a path ending in .json.
 * Throws `NotFound` when there is no such profile and `Invalid`, with every problem by field
 * path, when the file breaks the rules; both hints name the profiles available.
 */
export function loadFirmwareProfile(nameOrPath: string, directory: string = defaultProfilesDirectory()): FirmwareProfile {
  const byPath = nameOrPath.endsWith('.json');
  const hint = availableHint(directory);
  if (!byPath) {
    const problem = dnsLabelProblem(nameOrPath);
    if (problem !== undefined) {
      throw invalid(`firmware profile name "${nameOrPath}"`, [{ field: 'profile', message: problem }], hint);
    }
  }
  const file = byPath ? resolve(nameOrPath) : join(directory, `${nameOrPath}.json`);
  const what = byPath ? `firmware profile file ${nameOrPath}` : `firmware profile "${nameOrPath}"`;
  if (!existsSync(file)) {
    const message = byPath ? `no file at ${nameOrPath}` : `there is no firmware profile named "${nameOrPath}"`;
    throw new FlotillaError('NotFound', message, { details: [{ field: 'profile', message }], hint });
  }

  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(what, [{ field: '', message: `is not valid JSON: ${reason}` }], hint);
  }
  const problems = profileProblems(document, basename(file, '.json'));
  if (problems.length > 0) throw invalid(what, problems, hint);
  return toProfile(document as Record<string, unknown>);
}

/**
 * Every problem of a parsed profile, by field path; none means it is valid. `expectedName`,
 * the file name without .json, is what `name` must equal.
 */
export function profileProblems(document: unknown, expectedName?: string): FieldError[] {
  const problems: FieldError[] = [];
  const report = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  if (!isRecord(document)) {
    report('', `must be a JSON object, got ${describe(document)}`);
    return problems;
  }
  unknownFields(document, TOP_LEVEL_FIELDS, '', report);

  const name = requiredString(document, 'name', report);
  if (name !== undefined) {
    const problem = dnsLabelProblem(name);
    if (problem !== undefined) report('name', problem);
    else if (expectedName !== undefined && name !== expectedName) {
      report('name', `must equal the file name "${expectedName}" (the file is ${expectedName}.json), got "${name}"`);
    }
  }
  requiredString(document, 'description', report);

  const arch = requiredEnum(document, 'arch', PROFILE_ARCHES, report);
  checkArmVersion(document, arch, report);
  requiredEnum(document, 'runtime', PROFILE_RUNTIMES, report);
  const endpoint = requiredString(document, 'runtimeEndpoint', report);
  if (endpoint !== undefined && !(endpoint.startsWith('/') && endpoint.endsWith('.sock') && endpoint.length > '/.sock'.length)) {
    report('runtimeEndpoint', `must be the absolute path of a socket ending in .sock, as /var/run/docker.sock; got "${endpoint}"`);
  }
  if (document.ociRuntime !== undefined) {
    const oci = requiredString(document, 'ociRuntime', report);
    if (oci !== undefined && !OCI_RUNTIME_NAME.test(oci)) {
      report('ociRuntime', `must be a runtime name such as "nvidia" (letters, digits, "-", "_", "."), got "${oci}"`);
    }
  }
  for (const field of ['stateDir', 'installDir', 'configFile'] as const) {
    const path = requiredString(document, field, report);
    if (path !== undefined && !path.startsWith('/')) report(field, `must be an absolute path, starting with "/"; got "${path}"`);
  }
  requiredEnum(document, 'serviceManager', SERVICE_MANAGERS, report);
  checkNode(document.node, report);
  checkLabels(document.labels, arch, report);
  checkReserved(document.reserved, report);
  checkHealth(document.health, report);
  const heartbeat = document.heartbeatSeconds;
  if (heartbeat === undefined) report('heartbeatSeconds', 'is required: seconds between heartbeats, 1 to 300');
  else if (typeof heartbeat !== 'number' || !Number.isInteger(heartbeat) || heartbeat < 1 || heartbeat > 300) {
    report('heartbeatSeconds', `must be a whole number of seconds between 1 and 300, got ${describe(heartbeat)}`);
  }
  return problems;
}

type Report = (field: string, message: string) => void;

const SCHEMA_FILE = 'schema.json';
const OCI_RUNTIME_NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*$/;
const TOP_LEVEL_FIELDS = [
  '$schema',
  'name',
  'description',
  'arch',
  'armVersion',
  'runtime',
  'runtimeEndpoint',
  'ociRuntime',
  'stateDir',
  'installDir',
  'configFile',
  'serviceManager',
  'node',
  'labels',
  'reserved',
  'health',
  'heartbeatSeconds',
] as const;
const NODE_FIELDS = ['minimumVersion', 'source', 'notes'] as const;
const RESERVED_FIELDS = ['cpu', 'memory'] as const;
const HEALTH_LIMITS = {
  memoryPressurePercent: { min: 50, max: 99, unit: 'percent of memory in use' },
  diskPressurePercent: { min: 50, max: 99, unit: 'percent of disk in use' },
  highTemperatureCelsius: { min: 40, max: 120, unit: 'degrees Celsius' },
} as const;

function checkArmVersion(document: Record<string, unknown>, arch: ProfileArch | undefined, report: Report): void {
  const version = document.armVersion;
  if (arch === 'arm') {
    if (version === undefined) report('armVersion', 'is required when arch is "arm": 6 or 7');
    else if (!(ARM_VERSIONS as readonly unknown[]).includes(version)) report('armVersion', `must be 6 or 7, got ${describe(version)}`);
  } else if (version !== undefined && arch !== undefined) {
    report('armVersion', `is only for arch "arm"; remove it for arch "${arch}"`);
  }
}

function checkNode(node: unknown, report: Report): void {
  if (!objectField(node, 'node', 'how Node.js gets onto the device: minimumVersion, source and notes', report)) return;
  unknownFields(node, NODE_FIELDS, 'node', report);
  const version = requiredString(node, 'minimumVersion', report, 'node.');
  if (version !== undefined) {
    if (!/^\d+$/.test(version)) report('node.minimumVersion', `must be a major version as a string, as "20"; got "${version}"`);
    else if (Number(version) < MINIMUM_NODE_MAJOR) {
      report('node.minimumVersion', `must be at least "${MINIMUM_NODE_MAJOR}": the agent does not run on older Node.js; got "${version}"`);
    }
  }
  requiredEnum(node, 'source', NODE_SOURCES, report, 'node.');
  requiredString(node, 'notes', report, 'node.');
}

function checkLabels(labels: unknown, arch: ProfileArch | undefined, report: Report): void {
  if (!objectField(labels, 'labels', `default labels, with at least ${BOARD_LABEL} and ${ARCH_LABEL}`, report)) return;
  for (const [key, value] of Object.entries(labels)) {
    const field = `labels["${key}"]`;
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) report(field, keyProblem);
    if (typeof value !== 'string') report(field, `must be a string, got ${describe(value)}`);
    else {
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) report(field, valueProblem);
    }
  }
  if (!Object.hasOwn(labels, BOARD_LABEL)) report(`labels["${BOARD_LABEL}"]`, 'is required: the board family, as "raspberry-pi-4"');
  if (!Object.hasOwn(labels, ARCH_LABEL)) report(`labels["${ARCH_LABEL}"]`, `is required and must equal arch${arch ? ` ("${arch}")` : ''}`);
  else if (arch !== undefined && typeof labels[ARCH_LABEL] === 'string' && labels[ARCH_LABEL] !== arch) {
    report(`labels["${ARCH_LABEL}"]`, `must equal arch "${arch}", got "${String(labels[ARCH_LABEL])}"`);
  }
}

function checkReserved(reserved: unknown, report: Report): void {
  if (!objectField(reserved, 'reserved', 'CPU and memory kept for the system, as { "cpu": "250m", "memory": "256Mi" }', report)) return;
  unknownFields(reserved, RESERVED_FIELDS, 'reserved', report);
  const cpu = requiredString(reserved, 'cpu', report, 'reserved.');
  if (cpu !== undefined) {
    const problem = cpuProblem(cpu);
    if (problem !== undefined) report('reserved.cpu', problem);
  }
  const memory = requiredString(reserved, 'memory', report, 'reserved.');
  if (memory !== undefined) {
    const problem = memoryProblem(memory);
    if (problem !== undefined) report('reserved.memory', problem);
  }
}

function checkHealth(health: unknown, report: Report): void {
  const fields = Object.keys(HEALTH_LIMITS) as (keyof typeof HEALTH_LIMITS)[];
  if (!objectField(health, 'health', `thresholds of device conditions: ${fields.join(', ')}`, report)) return;
  unknownFields(health, fields, 'health', report);
  for (const field of fields) {
    const { min, max, unit } = HEALTH_LIMITS[field];
    const value = health[field];
    if (value === undefined) report(`health.${field}`, `is required: a number between ${min} and ${max} (${unit})`);
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      report(`health.${field}`, `must be a number between ${min} and ${max} (${unit}), got ${describe(value)}`);
    }
  }
}

function requiredString(record: Record<string, unknown>, key: string, report: Report, prefix = ''): string | undefined {
  const value = record[key];
  if (value === undefined) {
    report(`${prefix}${key}`, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0) {
    report(`${prefix}${key}`, `must be a non-empty string, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

function requiredEnum<T extends string>(
  record: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  report: Report,
  prefix = '',
): T | undefined {
  const value = record[key];
  const choices = allowed.map((choice) => `"${choice}"`).join(', ');
  if (value === undefined) {
    report(`${prefix}${key}`, `is required: one of ${choices}`);
    return undefined;
  }
  if (!(allowed as readonly unknown[]).includes(value)) {
    report(`${prefix}${key}`, `must be one of ${choices}, got ${describe(value)}`);
    return undefined;
  }
  return value as T;
}

function objectField(value: unknown, field: string, expected: string, report: Report): value is Record<string, unknown> {
  if (value === undefined) {
    report(field, `is required: ${expected}`);
    return false;
  }
  if (!isRecord(value)) {
    report(field, `must be an object (${expected}), got ${describe(value)}`);
    return false;
  }
  return true;
}

function unknownFields(record: Record<string, unknown>, known: readonly string[], path: string, report: Report): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      report(path === '' ? key : `${path}.${key}`, `is not a known field; expected only ${known.join(', ')}`);
    }
  }
}

function toProfile(document: Record<string, unknown>): FirmwareProfile {
  // Validated by profileProblems; the editor hint "$schema" is not part of the profile.
  const { $schema: _schema, ...profile } = document;
  return profile as unknown as FirmwareProfile;
}

function availableHint(directory: string): string {
  const names = listFirmwareProfiles(directory);
  if (names.length === 0) return 'no firmware profiles were found; give a path to a profile file ending in .json';
  return `available firmware profiles: ${names.join(', ')}; or give a path to a profile file ending in .json`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** What the device offers pods: the host's capacity less what the profile keeps for the system, never below zero. */
export function allocatable<C extends { cpuMillis: number; memoryBytes: number }>(
  host: C,
  reserved: { cpuMillis: number; memoryBytes: number } | undefined,
): C {
  if (reserved === undefined) return host;
  return {
    ...host,
    cpuMillis: Math.max(0, host.cpuMillis - reserved.cpuMillis),
    memoryBytes: Math.max(0, host.memoryBytes - reserved.memoryBytes),
  };
}

/**
 * An agent's defaults as a profile sets them: its engine and socket, state directory,
 * heartbeat and labels, what it keeps back for the system, and the thresholds of its
 * pressure conditions. Flags and FLOTILLA_*
 * variables still override each of them.
 */
export function profileDefaults(profile: FirmwareProfile, base: Omit<AgentOptions, 'name'>): Omit<AgentOptions, 'name'> {
  return {
    ...base,
    runtime: profile.runtime,
    runtimeEndpoint: profile.runtimeEndpoint,
    stateDir: profile.stateDir,
    heartbeatSeconds: profile.heartbeatSeconds,
    labels: { ...base.labels, ...profile.labels },
    health: { ...profile.health },
    profile: {
      name: profile.name,
      reserved: { cpuMillis: parseCpu(profile.reserved.cpu), memoryBytes: parseMemory(profile.reserved.memory) },
    },
  };
}
