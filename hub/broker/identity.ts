/**
 * Who a client of the broker is. On the device listener (TLS) a device is known by the
 * certificate the hub's CA gave it at enrolment: it may connect only as itself (client id
 * `flotilla-agent-<device>`), and only with the certificate its Device records, so removing
 * the Device or enrolling it anew shuts the old certificate out. A client there without a
 * certificate is a watcher, known by an access token given as its password. The plain
 * listener is the hub's own link (a password made at each start), or, in development, open.
 */
import type { TLSSocket } from 'node:tls';
import { deviceOfClientId } from '../../shared/topics.js';

export type ClientIdentity =
  | { kind: 'device'; device: string }
  | { kind: 'watcher'; name: string }
  | { kind: 'hub' }
  /** A plain development listener: judged by client id alone, as a device or as anyone else. */
  | { kind: 'open' };

/** The user name of the hub's own link on the plain listener. */
export const HUB_USERNAME = 'flotilla-hub';

export interface PeerCertificate {
  /** The CN of the verified certificate. */
  device: string;
  /** `sha256:<hex>` of its DER bytes. */
  fingerprint: string;
}

/** Why the device may not connect, or undefined when it may. */
export function connectDenial(clientId: string, peer: PeerCertificate | undefined, enrolledFingerprint: (device: string) => string | undefined): string | undefined {
  const device = deviceOfClientId(clientId);
  if (peer === undefined) return `client ${clientId} presented no device certificate`;
  if (device === undefined) return `client ${clientId} is not a device client id; the certificate is for device ${peer.device}`;
  if (device !== peer.device) return `the certificate is for device ${peer.device}, not ${device}`;
  const enrolled = enrolledFingerprint(device);
  if (enrolled === undefined) return `device ${device} is not enrolled (removed from the fleet, or never enrolled here)`;
  if (enrolled !== peer.fingerprint) return `device ${device} enrolled again since this certificate was issued; it no longer counts`;
  return undefined;
}

/** The device certificate of a TLS connection, when the hub's CA verified one. */
export function peerCertificate(connection: unknown): PeerCertificate | undefined {
  const socket = connection as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const certificate = socket.getPeerCertificate();
  const name = certificate.subject?.CN;
  if (typeof name !== 'string' || typeof certificate.fingerprint256 !== 'string') return undefined;
  return { device: name, fingerprint: `sha256:${certificate.fingerprint256.replaceAll(':', '').toLowerCase()}` };
}

/** Whether a client offered a certificate the CA did not sign (as opposed to none at all). */
export function presentedUnverifiedCertificate(connection: unknown): boolean {
  const socket = connection as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized === true) return false;
  return Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
}

export function isTlsConnection(connection: unknown): boolean {
  return typeof (connection as Partial<TLSSocket>).getPeerCertificate === 'function';
}
