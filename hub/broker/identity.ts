/**
 * Who a client on the broker's TLS listener is: the device its certificate names. A device
 * may connect only as itself (client id `flotilla-agent-<device>` with a certificate for
 * `<device>`), and not once it has been removed from the fleet. Connections on the plain
 * listener are not judged here: it is for the hub's own link and local development.
 */
import type { TLSSocket } from 'node:tls';
import { deviceOfClientId } from '../../shared/topics.js';

/** Why the client may not connect, or undefined when it may. */
export function connectDenial(clientId: string, peerDevice: string | undefined, isRemoved: (device: string) => boolean): string | undefined {
  const device = deviceOfClientId(clientId);
  if (peerDevice === undefined) return `client ${clientId} presented no device certificate`;
  if (device === undefined) return `client ${clientId} is not a device client id; the certificate is for device ${peerDevice}`;
  if (device !== peerDevice) return `the certificate is for device ${peerDevice}, not ${device}`;
  if (isRemoved(device)) return `device ${device} has been removed from the fleet`;
  return undefined;
}

/** The device named (CN) by the verified certificate of a TLS connection; undefined otherwise. */
export function peerDevice(connection: unknown): string | undefined {
  const socket = connection as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const name = socket.getPeerCertificate().subject?.CN;
  return typeof name === 'string' ? name : undefined;
}

export function isTlsConnection(connection: unknown): boolean {
  return typeof (connection as Partial<TLSSocket>).getPeerCertificate === 'function';
}
