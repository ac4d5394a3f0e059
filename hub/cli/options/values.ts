/**
 * Flag values of `flotilla hub` and `flotilla agent`, each from its flag, else its
 * environment variable, else the default. A bad value is a usage error (exit 2) that names
 * the flag, the variable it came from, and what is accepted.
 */
import { Topics } from '../../../shared/topics.js';
import { usageError } from '../errors.js';
import type { CliError } from '../errors.js';

export type Env = Record<string, string | undefined>;

export interface Setting {
  flag: string;
  value: string;
  /** The environment variable the value came from, when it did. */
  env?: string;
}

/** The flag's value, else the variable's; undefined when neither is set. */
export function setting(flag: string, given: string | undefined, env: Env, variable?: string): Setting | undefined {
  if (given !== undefined) return { flag, value: given };
  const fromEnv = variable === undefined ? undefined : env[variable];
  if (fromEnv !== undefined && fromEnv !== '') return { flag, value: fromEnv, env: variable };
  return undefined;
}

export function invalidSetting(s: Setting, problem: string): CliError {
  const from = s.env === undefined ? '' : ` (from ${s.env})`;
  return usageError(`invalid ${s.flag} "${s.value}"${from}: ${problem}`);
}

export function port(s: Setting | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  const value = Number(s.value);
  if (!/^\d+$/.test(s.value.trim()) || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalidSetting(s, 'must be a port number from 1 to 65535');
  }
  return value;
}

/** A duration in seconds, more than zero; fractions allowed (tests run with sub-second timings). */
export function seconds(s: Setting | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  const value = Number(s.value);
  if (s.value.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw invalidSetting(s, 'must be a number of seconds greater than 0');
  }
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function logLevel(s: Setting | undefined, fallback: string): string {
  if (s === undefined) return fallback;
  if (!LOG_LEVELS.includes(s.value)) throw invalidSetting(s, `must be one of ${LOG_LEVELS.join(', ')}`);
  return s.value;
}

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

export function mqttUrl(s: Setting | undefined, fallback: string): string;
export function mqttUrl(s: Setting | undefined, fallback: undefined): string | undefined;
export function mqttUrl(s: Setting | undefined, fallback: string | undefined): string | undefined {
  if (s === undefined) return fallback;
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw invalidSetting(s, 'must be a URL such as mqtt://hub.local:1883');
  }
  if (!MQTT_PROTOCOLS.includes(url.protocol)) {
    throw invalidSetting(s, `must be an MQTT URL (${MQTT_PROTOCOLS.map((p) => `${p}//`).join(', ')})`);
  }
  return s.value;
}

export function topicPrefix(s: Setting | undefined, fallback: string): string {
  if (s === undefined) return fallback;
  try {
    return new Topics(s.value).prefix;
  } catch {
    throw invalidSetting(s, 'must be non-empty, without "+" or "#", and not start or end with "/"');
  }
}

export function nonEmpty(s: Setting | undefined, fallback: string): string {
  if (s === undefined) return fallback;
  if (s.value.trim() === '') throw invalidSetting(s, 'must not be empty');
  return s.value;
}
