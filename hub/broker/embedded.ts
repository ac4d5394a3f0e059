/**
 * The embedded MQTT broker (aedes), with the device ACL installed as its authorize hooks.
 * Users who outgrow it point the hub at an external broker instead (`--mqtt-url`).
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import type { Logger } from '../../shared/log.js';
import type { Topics } from '../../shared/topics.js';
import { publishDenial, subscribeDenial } from './acl.js';
import { connectDenial, isTlsConnection, peerDevice } from './identity.js';
import { exactRetainedPersistence } from './retained-index.js';

/** A listener for devices: TLS both ways, each device known by the certificate the hub's CA gave it. */
export interface DeviceTlsListener {
  port: number;
  certificatePem: string;
  keyPem: string;
  /** The hub's CA: only certificates it signed are accepted. */
  caPem: string;
  /** Devices whose certificates no longer count (removed from the fleet). */
  isRemoved?: (device: string) => boolean;
}

export interface EmbeddedBroker {
  /** mqtt:// URL the hub's own client connects to. */
  url: string;
  port: number;
  /** The device listener's port, when there is one. */
  tlsPort?: number;
  /** Publishes refused by the ACL since start. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: {
  host: string;
  port: number;
  topics: Topics;
  log: Logger;
  tls?: DeviceTlsListener;
}): Promise<EmbeddedBroker> {
  const { topics, log } = options;
  let refused = 0;
  const aedes = await Aedes.createBroker({
    // Agent client ids are `flotilla-agent-<device>`: up to 78 characters.
    maxClientsIdLength: 128,
    // aedes' emitter drains its backlog recursively; at the default of 100 messages in
    // flight, a fleet reconnecting at once (thousands of CONNECTs, then as many desired
    // states) builds a backlog deep enough to overflow the stack. Let far more run at once.
    concurrency: 10_000,
    persistence: exactRetainedPersistence(),
    // A Will arriving after its device reconnected is harmless (bdSeq), so no extra delay.
    authenticate(client, _username, _password, done) {
      if (!isTlsConnection(client.conn)) {
        done(null, true);
        return;
      }
      const denial = connectDenial(client.id, peerDevice(client.conn), options.tls?.isRemoved ?? (() => false));
      if (denial === undefined) {
        done(null, true);
        return;
      }
      log.warn({ client: client.id }, denial);
      // 5: not authorized, in MQTT 3.1.1's CONNACK.
      done(Object.assign(new Error(denial), { returnCode: 5 as const }), false);
    },
    authorizePublish(client, packet, callback) {
      const denial = client ? publishDenial(topics, client.id, packet.topic) : undefined;
      if (denial) {
        refused++;
        log.warn({ client: client?.id, topic: packet.topic }, denial);
        callback(new Error(denial));
        return;
      }
      callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      const denial = subscribeDenial(topics, client.id, subscription.topic);
      if (denial) {
        log.warn({ client: client.id, topic: subscription.topic }, denial);
        callback(new Error(denial));
        return;
      }
      callback(null, subscription);
    },
  });
  aedes.on('clientError', (client, error) => log.debug({ client: client.id, err: error.message }, 'MQTT client error'));

  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  let tlsServer: Server | undefined;
  let tlsPort: number | undefined;
  if (options.tls) {
    const { certificatePem, keyPem, caPem } = options.tls;
    // No certificate signed by the hub's CA, no handshake: nothing reaches aedes unauthenticated.
    tlsServer = createTlsServer({ cert: certificatePem, key: keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true }, aedes.handle);
    const listening = tlsServer;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.tls?.port, options.host, () => {
        listening.off('error', reject);
        resolve();
      });
    });
    const tlsAddress = tlsServer.address();
    tlsPort = typeof tlsAddress === 'object' && tlsAddress ? tlsAddress.port : options.tls.port;
    log.info({ port: tlsPort }, 'device MQTT listener (TLS, device certificates) listening');
  }
  const connectHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  log.info({ port }, 'embedded MQTT broker listening');

  return {
    url: `mqtt://${connectHost}:${port}`,
    port,
    ...(tlsPort === undefined ? {} : { tlsPort }),
    get refused() {
      return refused;
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsServer) await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  };
}
