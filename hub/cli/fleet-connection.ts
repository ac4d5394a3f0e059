/**
 * The CLI as a watcher of the fleet topics: it asks the hub where they are (`GET
 * /api/v1/info`), then logs in to that broker with the context's access token as its MQTT
 * password (user name: the token's name), trusting the context's CA, and subscribes to
 * `{prefix}/fleet/#`, all a watcher may read.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { Topics } from '../../shared/topics.js';
import type { HubInfo } from '../api/routes/info.js';
import { parseAccessToken } from '../auth/access-token.js';
import type { HubClient } from './client.js';
import { CliError } from './errors.js';

export interface FleetConnection {
  topics: Topics;
  brokerUrl: string;
  close(): Promise<void>;
}

/** CONNACK codes of MQTT 3.1.1 that say the credentials were refused. */
const BAD_CREDENTIALS = new Set([4, 5]);

/** How long the first connection may take before the command gives up. */
const CONNECT_TIMEOUT_MS = 15_000;

export function watcherUsername(token: string | undefined, server: string): string {
  const name = token === undefined ? undefined : parseAccessToken(token)?.name;
  if (name === undefined) {
    throw new CliError(`watching the fleet needs an access token for the hub at ${server}, which is also the MQTT password`, {
      hint: "set one with 'flotilla config set-context <name> --token <token>' or --token; an admin makes one with 'flotilla access grant <name> --role viewer'",
    });
  }
  return name;
}

/**
 * Connects and subscribes; the handler made for the hub's topics gets every message of the
 * fleet topics, the retained ones first. A lost connection is made again by itself; only the first one must succeed.
 */
export async function connectToFleet(
  client: HubClient,
  handlerFor: (topics: Topics) => (topic: string, payload: Buffer) => void,
): Promise<FleetConnection> {
  const { token, caPem, server } = client.connection;
  const username = watcherUsername(token, server);
  const info = await client.get<HubInfo>('/api/v1/info');
  const topics = new Topics(info.fleetTopics.prefix);
  const brokerUrl = info.fleetTopics.brokerUrl;
  const { default: mqtt } = await import('mqtt');
  let mqttClient: MqttClient;
  try {
    mqttClient = await mqtt.connectAsync(
      brokerUrl,
      {
        username,
        password: token,
        ...(caPem === undefined ? {} : { ca: caPem }),
        clientId: `flotilla-watch-${randomBytes(6).toString('hex')}`,
        clean: true,
        reconnectPeriod: 2_000,
        connectTimeout: CONNECT_TIMEOUT_MS,
      },
      false,
    );
  } catch (error) {
    throw brokerRefused(brokerUrl, username, error, info.fleetTopics.accessTokenLogin);
  }
  const onMessage = handlerFor(topics);
  mqttClient.on('message', (topic, payload) => onMessage(topic, payload));
  try {
    const granted = await mqttClient.subscribeAsync(topics.fleetTree(), { qos: 1 });
    if (granted.some((grant) => grant.qos === 128)) throw new Error(`the broker refused the subscription to ${topics.fleetTree()}`);
  } catch (error) {
    await mqttClient.endAsync(true);
    throw new CliError(`cannot follow the fleet topics at ${brokerUrl}: ${(error as Error).message}`);
  }
  return { topics, brokerUrl, close: () => mqttClient.endAsync() };
}

function brokerRefused(brokerUrl: string, username: string, error: unknown, accessTokenLogin: boolean): CliError {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number' && BAD_CREDENTIALS.has(code)) {
    return new CliError(`the broker at ${brokerUrl} refused the access token of ${username}`, {
      hint: accessTokenLogin
        ? "the token may have expired or been revoked: check it with 'flotilla get devices', and get a new one with 'flotilla access grant'"
        : 'this hub uses an external broker: its own settings decide who may read the fleet topics',
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new CliError(`cannot connect to the broker at ${brokerUrl} for the fleet topics (${reason})`, {
    hint: 'the hub names this broker at the address the API was reached by; check that its MQTT port is reachable from here',
  });
}
