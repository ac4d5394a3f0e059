/**
 * The embedded MQTT broker (aedes), with the device ACL installed as its authorize hooks.
 * Users who outgrow it point the hub at an external broker instead (`--mqtt-url`).
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../../shared/log.js';
import { agentClientId, deviceOfClientId, type Topics } from '../../shared/topics.js';
import { publishDenial, subscribeDenial, watcherPublishDenial, watcherSubscribeDenial } from './acl.js';
import {
  connectDenial,
  HUB_USERNAME,
  isTlsConnection,
  peerCertificate,
  presentedUnverifiedCertificate,
  type ClientIdentity,
} from './identity.js';
import { exactRetainedPersistence } from './retained-index.js';

/** The listener for devices and watchers: TLS, devices known by the certificate the hub's CA gave them. */
export interface DeviceTlsListener {
  host: string;
  port: number;
  certificatePem: string;
  keyPem: string;
  /** The hub's CA: only certificates it signed are accepted. */
  caPem: string;
  /** The fingerprint of the certificate a device enrolled with; undefined for one not enrolled. */
  enrolledFingerprint(device: string): string | undefined;
  /** The watcher an access token proves, or undefined. */
  authenticateWatcher?(username: string, password: string): Promise<string | undefined>;
}

export interface PlainListener {
  host: string;
  port: number;
  /**
   * Development only: anyone may connect without credentials, judged by client id. Otherwise
   * only the hub's own link, with `hubPassword`.
   */
  open: boolean;
}

export interface EmbeddedBroker {
  /** mqtt:// URL the hub's own client connects to. */
  url: string;
  port: number;
  /** The device listener's port, when there is one. */
  tlsPort?: number;
  /** Publishes refused by the ACL since start. */
  readonly refused: number;
  /** Clients connected now, by who they are: device, watcher, hub, open. */
  connections(): Record<ClientIdentity['kind'], number>;
  /** Ends a device's session now: it was removed, or its certificate replaced. */
  disconnectDevice(device: string): void;
  close(): Promise<void>;
}

/** CONNACK return codes of MQTT 3.1.1. */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export async function startEmbeddedBroker(options: {
  plain: PlainListener;
  /** The password of the hub's own link (user `flotilla-hub`), made at each start. */
  hubPassword: string;
  topics: Topics;
  log: Logger;
  tls?: DeviceTlsListener;
}): Promise<EmbeddedBroker> {
  const { topics, log } = options;
  let refused = 0;
  const identities = new WeakMap<Client, ClientIdentity>();

  /** Who a client is, or why it may not connect (and the CONNACK code that says so). */
  async function identify(client: Client, username: string | undefined, password: Buffer | undefined): Promise<ClientIdentity | { denial: string; code: number }> {
    const secret = password?.toString('utf8');
    if (username === HUB_USERNAME) {
      return secret === options.hubPassword ? { kind: 'hub' } : { denial: `wrong password for ${HUB_USERNAME}`, code: BAD_USERNAME_OR_PASSWORD };
    }
    if (!isTlsConnection(client.conn)) {
      if (options.plain.open) return { kind: 'open' };
      return { denial: 'this listener is for the hub itself; devices and watchers connect over TLS', code: NOT_AUTHORIZED };
    }
    const tls = options.tls;
    if (tls === undefined) return { denial: 'no device listener', code: NOT_AUTHORIZED };
    if (presentedUnverifiedCertificate(client.conn)) return { denial: "the certificate is not one the hub's CA signed", code: NOT_AUTHORIZED };
    const peer = peerCertificate(client.conn);
    if (peer !== undefined || deviceOfClientId(client.id) !== undefined) {
      const denial = connectDenial(client.id, peer, tls.enrolledFingerprint);
      return denial === undefined && peer ? { kind: 'device', device: peer.device } : { denial: denial ?? 'refused', code: NOT_AUTHORIZED };
    }
    if (username === undefined || secret === undefined || tls.authenticateWatcher === undefined) {
      return { denial: `client ${client.id} gave no certificate and no access token`, code: NOT_AUTHORIZED };
    }
    const watcher = await tls.authenticateWatcher(username, secret).catch(() => undefined);
    return watcher === undefined ? { denial: `access token for ${username} not accepted`, code: BAD_USERNAME_OR_PASSWORD } : { kind: 'watcher', name: watcher };
  }

  const aedes = await Aedes.createBroker({
    // Agent client ids are `flotilla-agent-<device>`: up to 78 characters.
    maxClientsIdLength: 128,
    // aedes' emitter drains its backlog recursively; at the default of 100 messages in
    // flight, a fleet reconnecting at once (thousands of CONNECTs, then as many desired
    // states) builds a backlog deep enough to overflow the stack. Let far more run at once.
    concurrency: 10_000,
    persistence: exactRetainedPersistence(),
    // A Will arriving after its device reconnected is harmless (bdSeq), so no extra delay.
    authenticate(client, username, password, done) {
      identify(client, username, password).then(
        (result) => {
          if ('denial' in result) {
            log.warn({ client: client.id }, result.denial);
            done(Object.assign(new Error(result.denial), { returnCode: result.code as 4 | 5 }), false);
            return;
          }
          identities.set(client, result);
          done(null, true);
        },
        (error: Error) => done(Object.assign(error, { returnCode: NOT_AUTHORIZED as 5 }), false),
      );
    },
    authorizePublish(client, packet, callback) {
      const who = client ? identities.get(client) : undefined;
      const denial =
        client === null || who === undefined
          ? undefined
          : who.kind === 'watcher'
            ? watcherPublishDenial(who.name, packet.topic)
            : publishDenial(topics, client.id, packet.topic);
      if (denial) {
        refused++;
        log.warn({ client: client?.id, topic: packet.topic }, denial);
        callback(new Error(denial));
        return;
      }
      callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      const who = identities.get(client);
      const denial =
        who === undefined
          ? 'not authenticated'
          : who.kind === 'watcher'
            ? watcherSubscribeDenial(topics, who.name, subscription.topic)
            : subscribeDenial(topics, client.id, subscription.topic);
      if (denial) {
        log.warn({ client: client.id, topic: subscription.topic }, denial);
        callback(new Error(denial));
        return;
      }
      callback(null, subscription);
    },
  });
  aedes.on('clientError', (client, error) => log.debug({ client: client.id, err: error.message }, 'MQTT client error'));
  const connected: Record<ClientIdentity['kind'], number> = { device: 0, watcher: 0, hub: 0, open: 0 };
  const counted = new WeakSet<Client>();
  aedes.on('client', (client) => {
    const who = identities.get(client);
    if (who === undefined) return;
    counted.add(client);
    connected[who.kind]++;
  });
  aedes.on('clientDisconnect', (client) => {
    const who = identities.get(client);
    if (who === undefined || !counted.delete(client)) return;
    connected[who.kind]--;
  });

  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.plain.port, options.plain.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.plain.port;

  let tlsServer: Server | undefined;
  let tlsPort: number | undefined;
  if (options.tls) {
    const { certificatePem, keyPem, caPem } = options.tls;
    // No certificate signed by the hub's CA, no handshake: nothing reaches aedes unauthenticated.
    // A certificate is asked for but not required: watchers come with an access token instead.
    // Who got in with what is judged in `identify`, before aedes accepts the CONNECT.
    tlsServer = createTlsServer({ cert: certificatePem, key: keyPem, ca: caPem, requestCert: true, rejectUnauthorized: false }, aedes.handle);
    const listening = tlsServer;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.tls?.port, options.tls?.host, () => {
        listening.off('error', reject);
        resolve();
      });
    });
    const tlsAddress = tlsServer.address();
    tlsPort = typeof tlsAddress === 'object' && tlsAddress ? tlsAddress.port : options.tls.port;
    log.info({ port: tlsPort }, 'device MQTT listener (TLS, device certificates) listening');
  }
  const connectHost = options.plain.host === '0.0.0.0' || options.plain.host === '::' ? '127.0.0.1' : options.plain.host;
  log.info({ port, open: options.plain.open }, options.plain.open ? 'plain MQTT listener open to devices without credentials (development only)' : "plain MQTT listener for the hub's own link");

  return {
    url: `mqtt://${connectHost}:${port}`,
    port,
    ...(tlsPort === undefined ? {} : { tlsPort }),
    get refused() {
      return refused;
    },
    connections: () => ({ ...connected }),
    disconnectDevice(device) {
      const client = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[agentClientId(device)];
      if (client === undefined) return;
      log.info({ device }, 'ending the session of a device whose certificate no longer counts');
      client.close();
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsServer) await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  };
}
