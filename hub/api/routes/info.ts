/**
 * `GET /api/v1/info`: what a client needs beyond the API to watch the fleet: the broker the
 * fleet topics are on, at the host the client reached the API by (a name or address known to
 * work from there), and the topic prefix.
 */
import type { FastifyInstance } from 'fastify';

export interface HubInfo {
  apiVersion: 'flotilla.io/v1';
  kind: 'HubInfo';
  fleetTopics: {
    /** `{prefix}/fleet/#` holds everything a watcher may read. */
    prefix: string;
    /** The broker a watcher connects to. */
    brokerUrl: string;
    /**
     * Whether the broker takes the caller's access token as its MQTT password (user name: the
     * token's name). False for an external broker, whose own settings decide.
     */
    accessTokenLogin: boolean;
  };
}

export interface InfoSource {
  topicPrefix: string;
  /** The broker for watchers, given the host the API was reached at. */
  watcherBrokerUrl(apiHost: string): string;
  accessTokenLogin: boolean;
}

export function hubInfo(source: InfoSource, apiHost: string): HubInfo {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'HubInfo',
    fleetTopics: { prefix: source.topicPrefix, brokerUrl: source.watcherBrokerUrl(apiHost), accessTokenLogin: source.accessTokenLogin },
  };
}

export function registerInfoRoute(app: FastifyInstance, source: InfoSource): void {
  app.get('/api/v1/info', async (request) => hubInfo(source, request.hostname));
}
