/** `flotilla hub` flags and FLOTILLA_* variables → HubOptions. */
import { defaultHubOptions } from '../../config.js';
import type { HubOptions } from '../../config.js';
import { readHubSettings } from '../../settings-file.js';
import { isFlotillaError } from '../../../shared/errors.js';
import { labelKeyProblem } from '../../../shared/labels.js';
import { usageError } from '../errors.js';
import { invalidSetting, logLevel, mqttUrl, nonEmpty, port, seconds, setting, topicPrefix } from './values.js';
import type { Env, Setting } from './values.js';

/** The API's address as devices reach it: https, no path. */
function httpsUrl(s: Setting): string {
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw invalidSetting(s, 'not a URL (write https://hub.example:7080)');
  }
  if (url.protocol !== 'https:' || url.pathname !== '/') throw invalidSetting(s, 'must be https://host[:port] with no path');
  return url.origin;
}

/** `site,region`: the label keys the fleet summary groups devices by. */
function labelKeys(s: Setting): string[] {
  const keys = s.value.split(',').map((key) => key.trim()).filter((key) => key !== '');
  if (keys.length === 0) throw invalidSetting(s, 'must name at least one label key, as site or site,region');
  for (const key of keys) {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) throw invalidSetting(s, problem);
  }
  return [...new Set(keys)];
}

/** The settings file's checked content; any problem in it is a usage error naming the setting. */
function readSettingsFile(s: Setting): ReturnType<typeof readHubSettings> {
  try {
    return readHubSettings(nonEmpty(s, ''));
  } catch (error) {
    if (!isFlotillaError(error)) throw error;
    const from = s.env === undefined ? '' : ` (from ${s.env})`;
    if (error.details.length === 0) throw usageError(`invalid --config${from}: ${error.message}`, error.hint);
    // One line per setting at fault: a file can hold several mistakes.
    const lines = error.details.map((detail) => `  ${detail.field}: ${detail.message}`);
    throw usageError(`invalid settings in ${s.value}${from}:\n${lines.join('\n')}`, error.hint);
  }
}

export interface HubFlags {
  dataDir?: string;
  secretsKeyFile?: string;
  httpHost?: string;
  port?: string;
  mqttHost?: string;
  mqttPort?: string;
  mqttTlsPort?: string;
  mqttUrl?: string;
  plainMqtt?: boolean;
  advertiseUrl?: string;
  topicPrefix?: string;
  notReadyAfter?: string;
  offlineAfter?: string;
  logLevel?: string;
  /** The settings file: the scheduler's plugins. */
  config?: string;
  /** Label keys the fleet summary groups devices by, comma-separated. */
  fleetGroups?: string;
}

export function resolveHubOptions(flags: HubFlags, env: Env = process.env): HubOptions {
  const d = defaultHubOptions;
  const options: HubOptions = {
    dataDir: nonEmpty(setting('--data-dir', flags.dataDir, env, 'FLOTILLA_DATA_DIR'), d.dataDir),
    httpHost: nonEmpty(setting('--http-host', flags.httpHost, env), d.httpHost),
    httpPort: port(setting('--port', flags.port, env, 'FLOTILLA_PORT'), d.httpPort),
    mqttHost: nonEmpty(setting('--mqtt-host', flags.mqttHost, env), d.mqttHost),
    mqttPort: port(setting('--mqtt-port', flags.mqttPort, env, 'FLOTILLA_MQTT_PORT'), d.mqttPort),
    mqttTlsPort: port(setting('--mqtt-tls-port', flags.mqttTlsPort, env, 'FLOTILLA_MQTT_TLS_PORT'), d.mqttTlsPort),
    plainMqtt: flags.plainMqtt === true || env['FLOTILLA_PLAIN_MQTT'] === '1' || env['FLOTILLA_PLAIN_MQTT'] === 'true',
    topicPrefix: topicPrefix(setting('--topic-prefix', flags.topicPrefix, env), d.topicPrefix),
    notReadyAfterSeconds: seconds(setting('--not-ready-after', flags.notReadyAfter, env), d.notReadyAfterSeconds),
    offlineAfterSeconds: seconds(setting('--offline-after', flags.offlineAfter, env), d.offlineAfterSeconds),
    logLevel: logLevel(setting('--log-level', flags.logLevel, env, 'FLOTILLA_LOG_LEVEL'), d.logLevel),
  };
  const keyFile = setting('--secrets-key-file', flags.secretsKeyFile, env, 'FLOTILLA_SECRETS_KEY_FILE');
  if (keyFile !== undefined) options.secretsKeyFile = nonEmpty(keyFile, '');
  const advertise = setting('--advertise-url', flags.advertiseUrl, env, 'FLOTILLA_ADVERTISE_URL');
  if (advertise !== undefined) options.advertiseUrl = httpsUrl(advertise);
  const external = mqttUrl(setting('--mqtt-url', flags.mqttUrl, env, 'FLOTILLA_MQTT_URL'), undefined);
  if (external !== undefined) options.mqttUrl = external;
  const fleetGroups = setting('--fleet-groups', flags.fleetGroups, env, 'FLOTILLA_FLEET_GROUPS');
  if (fleetGroups !== undefined) options.fleetGroupLabels = labelKeys(fleetGroups);
  const settingsFile = setting('--config', flags.config, env, 'FLOTILLA_HUB_CONFIG');
  if (settingsFile !== undefined) {
    const settings = readSettingsFile(settingsFile);
    if (settings.scheduler !== undefined) options.scheduler = settings.scheduler;
    if (settings.deviceHealth !== undefined) options.deviceHealth = settings.deviceHealth;
  }
  if (options.offlineAfterSeconds < options.notReadyAfterSeconds) {
    throw usageError(
      `--offline-after (${options.offlineAfterSeconds}s) must not be shorter than --not-ready-after (${options.notReadyAfterSeconds}s)`,
    );
  }
  return options;
}
