/**
 * `flotilla agent` flags and FLOTILLA_* variables → AgentOptions. The defaults are passed in
 * by the caller, which loads agent/config dynamically: hub/ never imports agent/ statically.
 */
import { hostname } from 'node:os';
import type { AgentOptions } from '../../../agent/config.js';
import { isFlotillaError } from '../../../shared/errors.js';
import type { DeviceHealthThresholds } from '../../../shared/objects.js';
import { parseJoinToken } from '../../../shared/join-token.js';
import { parseLabelList } from '../../../shared/labels.js';
import { DEVICE_NAME_MAX, deviceNameProblem } from '../../../shared/topics.js';
import { invalidSetting, logLevel, mqttUrl, nonEmpty, seconds, setting, topicPrefix } from './values.js';
import type { Env, Setting } from './values.js';

export interface AgentFlags {
  hub?: string;
  token?: string;
  caFile?: string;
  profile?: string;
  name?: string;
  labels?: string;
  runtime?: string;
  runtimeEndpoint?: string;
  stateDir?: string;
  heartbeat?: string;
  backoff?: string;
  maxBackoff?: string;
  resync?: string;
  topicPrefix?: string;
  logLevel?: string;
  podStatsInterval?: string;
  healthThresholds?: string;
}

/** `Pi-Kitchen.local` → `pi-kitchen-local`: a host name as a device name (a DNS label). */
export function deviceNameFromHostname(host: string): string {
  const name = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, DEVICE_NAME_MAX)
    .replace(/-+$/, '');
  return name === '' ? 'device' : name;
}

function deviceName(s: Setting | undefined, host: string): string {
  if (s === undefined) return deviceNameFromHostname(host);
  const problem = deviceNameProblem(s.value);
  if (problem !== undefined) throw invalidSetting(s, `a device name ${problem}`);
  return s.value;
}

/** Labels given replace none of the defaults (a profile's board and arch), only add or override. */
function labels(s: Setting | undefined, fallback: Record<string, string>): Record<string, string> {
  if (s === undefined) return { ...fallback };
  try {
    return { ...fallback, ...parseLabelList(s.value) };
  } catch (error) {
    if (!isFlotillaError(error)) throw error;
    // The message quotes the whole argument, which the usage error already does.
    const problem = error.message.replace(/^invalid label argument "[^"]*": /, '');
    throw invalidSetting(s, `${problem} (write role=camera,site=a)`);
  }
}

/** `--health-thresholds` keys, the threshold each sets, and its upper limit. */
const HEALTH_KEYS = {
  memory: { field: 'memoryPressurePercent', max: 100, unit: 'percent of memory in use' },
  disk: { field: 'diskPressurePercent', max: 100, unit: 'percent of disk in use' },
  temperature: { field: 'highTemperatureCelsius', max: 150, unit: '°C' },
} as const;

/**
 * `memory=80,temperature=70`: thresholds of the device's pressure conditions, each over the
 * profile's (the rest stay the profile's, or the hub's without a profile).
 */
function healthThresholds(s: Setting | undefined, fallback: DeviceHealthThresholds | undefined): DeviceHealthThresholds | undefined {
  if (s === undefined) return fallback === undefined ? undefined : { ...fallback };
  const thresholds: DeviceHealthThresholds = { ...fallback };
  for (const part of s.value.split(',')) {
    const [key = '', value = '', ...rest] = part.split('=').map((piece) => piece.trim());
    const known = Object.hasOwn(HEALTH_KEYS, key) ? HEALTH_KEYS[key as keyof typeof HEALTH_KEYS] : undefined;
    if (known === undefined || rest.length > 0) {
      throw invalidSetting(s, `"${part.trim()}" is not a threshold: write ${Object.keys(HEALTH_KEYS).map((k) => `${k}=<number>`).join(',')}`);
    }
    const number = Number(value);
    if (value === '' || !Number.isFinite(number) || number <= 0 || number > known.max) {
      throw invalidSetting(s, `${key} must be a number above 0 and at most ${known.max} (${known.unit}), got "${value}"`);
    }
    thresholds[known.field] = number;
  }
  return thresholds;
}

/** A token that cannot be read is refused now, not after the agent started. */
function joinToken(s: Setting): string {
  try {
    parseJoinToken(s.value);
  } catch (error) {
    if (!isFlotillaError(error)) throw error;
    throw invalidSetting({ ...s, value: `${s.value.slice(0, 12)}…` }, `${error.message} (${error.hint ?? ''})`);
  }
  return s.value.trim();
}

export type AgentDefaults = Omit<AgentOptions, 'name'>;

export function resolveAgentOptions(flags: AgentFlags, d: AgentDefaults, env: Env = process.env, host: string = hostname()): AgentOptions {
  const name = deviceName(setting('--name', flags.name, env, 'FLOTILLA_DEVICE_NAME'), host);
  const options: AgentOptions = {
    name,
    hubUrl: mqttUrl(setting('--hub', flags.hub, env, 'FLOTILLA_HUB'), d.hubUrl),
    labels: labels(setting('--labels', flags.labels, env, 'FLOTILLA_LABELS'), d.labels),
    runtime: nonEmpty(setting('--runtime', flags.runtime, env), d.runtime),
    // Several agents on one machine (a test fleet) must not share their state; a profile,
    // made for one agent per device, names its directory.
    stateDir: nonEmpty(setting('--state-dir', flags.stateDir, env, 'FLOTILLA_STATE_DIR'), d.profile ? d.stateDir : `.flotilla/agent-${name}`),
    heartbeatSeconds: seconds(setting('--heartbeat', flags.heartbeat, env), d.heartbeatSeconds),
    topicPrefix: topicPrefix(setting('--topic-prefix', flags.topicPrefix, env), d.topicPrefix),
    backoffSeconds: seconds(setting('--backoff', flags.backoff, env), d.backoffSeconds),
    maxBackoffSeconds: seconds(setting('--max-backoff', flags.maxBackoff, env), d.maxBackoffSeconds),
    resyncSeconds: seconds(setting('--resync', flags.resync, env), d.resyncSeconds),
    logLevel: logLevel(setting('--log-level', flags.logLevel, env, 'FLOTILLA_LOG_LEVEL'), d.logLevel),
    podStatsSeconds: seconds(setting('--pod-stats-interval', flags.podStatsInterval, env, 'FLOTILLA_POD_STATS_INTERVAL'), d.podStatsSeconds),
  };
  const health = healthThresholds(setting('--health-thresholds', flags.healthThresholds, env, 'FLOTILLA_HEALTH_THRESHOLDS'), d.health);
  if (health !== undefined) options.health = health;
  const endpoint = setting('--runtime-endpoint', flags.runtimeEndpoint, env, 'FLOTILLA_RUNTIME_ENDPOINT');
  if (endpoint !== undefined) options.runtimeEndpoint = nonEmpty(endpoint, '');
  else if (d.runtimeEndpoint !== undefined) options.runtimeEndpoint = d.runtimeEndpoint;
  if (d.profile !== undefined) options.profile = d.profile;
  const token = setting('--token', flags.token, env, 'FLOTILLA_JOIN_TOKEN');
  if (token !== undefined) options.token = joinToken(token);
  const caFile = setting('--ca-file', flags.caFile, env, 'FLOTILLA_CA_FILE');
  if (caFile !== undefined) options.caFile = nonEmpty(caFile, '');
  if (options.maxBackoffSeconds < options.backoffSeconds) {
    throw invalidSetting(
      { flag: '--max-backoff', value: String(options.maxBackoffSeconds) },
      `must not be shorter than --backoff (${options.backoffSeconds}s)`,
    );
  }
  return options;
}
