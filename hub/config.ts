/**
 * Settings of a hub. Every field has a default so `flotilla hub` runs with none; the CLI
 * fills them from flags and FLOTILLA_* environment variables, and what is too rich for a flag
 * (the scheduler's plugins) from a settings file, `flotilla hub --config hub.yaml` (see
 * settings-file.ts).
 */
import { DEFAULT_TOPIC_PREFIX } from '../shared/topics.js';
import type { SchedulerConfig } from './scheduler/config.js';
import type { DeviceHealthThresholds } from '../shared/objects.js';

export interface HubOptions {
  /** Where the LevelDB store lives. */
  dataDir: string;
  /**
   * The key Secrets are encrypted with; default `<dataDir>/secrets.key`. Kept elsewhere (another
   * disk, a mounted secret), a copy of the data directory alone reveals no Secret.
   */
  secretsKeyFile?: string;
  /** HTTP API listen address. */
  httpHost: string;
  httpPort: number;
  /**
   * An external MQTT broker (`mqtt://broker:1883`). When absent the hub embeds aedes and
   * listens on mqttHost:mqttPort itself.
   */
  mqttUrl?: string;
  /** Where the embedded broker's device listener (and, with plainMqtt, its plain one) listens. */
  mqttHost: string;
  /**
   * The embedded broker's plain TCP listener. Without plainMqtt it takes only the hub's own
   * link, on the loopback address; with it, devices and watchers without credentials too.
   */
  mqttPort: number;
  /**
   * The embedded broker's listener for devices and watchers, over TLS: a certificate per
   * device from the hub's CA (kept in `<dataDir>/pki`), an access token per watcher.
   */
  mqttTlsPort: number;
  /** Development only: devices connect over plain MQTT without credentials, judged by client id. */
  plainMqtt: boolean;
  /** The API URL join tokens send devices to; absent: the address the token's creator reached the hub at. */
  advertiseUrl?: string;
  topicPrefix: string;
  /** A device silent for this long (no heartbeat) goes NotReady. */
  notReadyAfterSeconds: number;
  /** A device silent for this long goes Offline. */
  offlineAfterSeconds: number;
  logLevel: string;
  /** Which scheduler plugins run, their weights and arguments; absent: the defaults (hub/scheduler/README.md). */
  scheduler?: SchedulerConfig;
  /** Label keys the fleet summary counts devices by, one group per value; absent: `site`. */
  fleetGroupLabels?: string[];
  /** Thresholds of device conditions for what a device does not report from its profile; absent: the defaults (README). */
  deviceHealth?: DeviceHealthThresholds;
}

export const DEFAULT_HTTP_PORT = 7080;
export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_MQTT_TLS_PORT = 8883;

export const defaultHubOptions: HubOptions = {
  dataDir: '.flotilla/hub',
  httpHost: '0.0.0.0',
  httpPort: DEFAULT_HTTP_PORT,
  mqttHost: '0.0.0.0',
  mqttPort: DEFAULT_MQTT_PORT,
  mqttTlsPort: DEFAULT_MQTT_TLS_PORT,
  plainMqtt: false,
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  // Three missed heartbeats at the agent's default 10 s, as Kubernetes' 40 s grace period.
  notReadyAfterSeconds: 30,
  offlineAfterSeconds: 90,
  logLevel: 'info',
};
