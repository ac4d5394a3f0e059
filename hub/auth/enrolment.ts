/**
 * Enrolment: a device trades a join token and a certificate request for its own certificate.
 * Checks come first and the token's use is counted only once the certificate is signed, so a
 * refused request uses nothing up and writes nothing. The Device is written with the
 * certificate's fingerprint: the broker lets in that certificate and no other for the device,
 * and removing the Device shuts it out.
 */
import { X509Certificate } from 'node:crypto';
import { FlotillaError, hasCode, type FieldError } from '../../shared/errors.js';
import { labelKeyProblem, labelValueProblem } from '../../shared/labels.js';
import { referenceTo, type Device, type Labels } from '../../shared/objects.js';
import { certificateFingerprint } from '../../shared/pki.js';
import { deviceNameProblem } from '../../shared/topics.js';
import type { EventSink } from '../controllers/events.js';
import type { Store } from '../store/store.js';
import type { CertificateAuthority } from './authority.js';
import { parseJoinToken, redeemJoinToken } from './join-token.js';

export interface EnrolmentRequest {
  token: string;
  device: string;
  /** PEM PKCS#10 request for `CN=<device>`, from a key made on the device. */
  csr: string;
  /** Labels the device announces; the token's labels win where they differ. */
  labels?: Labels;
}

export interface EnrolmentAnswer {
  device: string;
  certificate: string;
  ca: string;
  /** The broker's device listener, `mqtts://host:8883`. */
  mqttUrl: string;
  labels: Labels;
}

export interface EnrolmentContext {
  store: Store;
  authority: CertificateAuthority;
  events?: EventSink;
  now?: () => number;
}

const CONFLICT_ATTEMPTS = 5;

/**
 * Enrolments with one token take turns counting their use: a batch of devices flashed with
 * the same token and booted together would otherwise all update the token at once, and all
 * but one would conflict and retry, over and over.
 */
const tokenTurns = new Map<string, Promise<unknown>>();

function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tokenTurns.get(key) ?? Promise.resolve();
  const result = previous.then(work, work);
  const settled = result.catch(() => undefined);
  tokenTurns.set(key, settled);
  void settled.then(() => {
    if (tokenTurns.get(key) === settled) tokenTurns.delete(key);
  });
  return result;
}

export async function enrolDevice(ctx: EnrolmentContext, request: EnrolmentRequest, mqttUrl: string): Promise<EnrolmentAnswer> {
  const now = ctx.now ?? Date.now;
  const { claims, secret } = parseJoinToken(request.token);
  if (claims.ca !== ctx.authority.fingerprint) {
    throw new FlotillaError('Unauthorized', `join token ${claims.id} was made by another hub (its CA is ${claims.ca})`, {
      hint: 'make a token on this hub: flotilla token create',
    });
  }
  checkRequest(request);
  const existing = await ctx.store.get('Device', undefined, request.device);
  if (existing?.status?.identity !== undefined) {
    throw new FlotillaError('AlreadyExists', `device ${request.device} is already enrolled`, {
      hint: `remove it first (flotilla device remove ${request.device}), or start this agent with another --name`,
    });
  }
  // Refused before the token is touched: a bad request costs no use.
  const token = await ctx.store.get('JoinToken', undefined, claims.id);
  redeemJoinToken(token, { id: claims.id, secret }, request.device, now());
  const certificate = await ctx.authority.signDeviceRequest(request.csr, request.device);
  const used = await inTurn(claims.id, () => countUse(ctx, { id: claims.id, secret }, request.device));
  const labels = { ...request.labels, ...used.spec.labels };
  const identity = {
    certificateFingerprint: certificateFingerprint(certificate),
    notAfter: new Date(new X509Certificate(certificate).validTo).toISOString(),
    enrolledAt: new Date(now()).toISOString(),
    joinToken: claims.id,
  };
  let device: Device;
  try {
    device = await writeDevice(ctx.store, request.device, labels, identity);
  } catch (error) {
    await giveBackUse(ctx, claims.id).catch(() => undefined);
    throw error;
  }
  ctx.events?.record(referenceTo(device), 'Normal', 'Enrolled', `device ${request.device} enrolled with join token ${claims.id}`);
  return { device: request.device, certificate, ca: ctx.authority.certificatePem, mqttUrl, labels: device.metadata.labels ?? {} };
}

/**
 * A new certificate for an enrolled device, asked for with its current one (mutual TLS) and a
 * request from a new key. The Device then records the new certificate only: the broker ends
 * the session of the old one, and the agent, already holding the new one, reconnects with it.
 */
export async function renewDeviceCertificate(ctx: EnrolmentContext, peer: { device: string; fingerprint: string } | undefined, csr: string): Promise<{ device: string; certificate: string }> {
  const hint = 'present the certificate the device enrolled with; a removed device enrols again with a new join token';
  if (peer === undefined) throw new FlotillaError('Unauthorized', 'renewing a certificate needs the current device certificate (mutual TLS)', { hint });
  const stored = await ctx.store.get('Device', undefined, peer.device);
  if (stored?.status?.identity?.certificateFingerprint !== peer.fingerprint) {
    throw new FlotillaError('Unauthorized', `the certificate for ${peer.device} is not the one it enrolled with`, { hint });
  }
  const certificate = await ctx.authority.signDeviceRequest(csr, peer.device);
  const identity = {
    ...stored.status.identity,
    certificateFingerprint: certificateFingerprint(certificate),
    notAfter: new Date(new X509Certificate(certificate).validTo).toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 ? stored : await ctx.store.get('Device', undefined, peer.device);
    if (current?.status?.identity?.certificateFingerprint !== peer.fingerprint) {
      throw new FlotillaError('Conflict', `device ${peer.device} changed while its certificate was renewed`, { hint: 'try again' });
    }
    try {
      await ctx.store.update<Device>({ ...current, status: { ...current.status, identity } });
      break;
    } catch (error) {
      if (!hasCode(error, 'Conflict') || attempt >= CONFLICT_ATTEMPTS) throw error;
    }
  }
  ctx.events?.record(referenceTo(stored), 'Normal', 'CertificateRenewed', `device ${peer.device} renewed its certificate, valid until ${identity.notAfter}`);
  return { device: peer.device, certificate };
}

function checkRequest(request: EnrolmentRequest): void {
  const details: FieldError[] = [];
  const nameProblem = deviceNameProblem(request.device);
  if (nameProblem !== undefined) details.push({ field: 'device', message: nameProblem });
  for (const [key, value] of Object.entries(request.labels ?? {})) {
    const problem = labelKeyProblem(key) ?? (typeof value === 'string' ? labelValueProblem(value) : 'must be a string');
    if (problem !== undefined) details.push({ field: `labels[${JSON.stringify(key)}]`, message: problem });
  }
  if (details.length > 0) {
    throw new FlotillaError('Invalid', `the enrolment request is invalid: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, { details });
  }
}

/** Counts the use against the token as stored now; a concurrent enrolment makes it re-read. */
async function countUse(ctx: EnrolmentContext, presented: { id: string; secret: Buffer }, device: string) {
  for (let attempt = 0; ; attempt++) {
    const token = await ctx.store.get('JoinToken', undefined, presented.id);
    const next = redeemJoinToken(token, presented, device, (ctx.now ?? Date.now)());
    try {
      return await ctx.store.update(next);
    } catch (error) {
      if (!hasCode(error, 'Conflict') || attempt >= CONFLICT_ATTEMPTS) throw error;
    }
  }
}

async function giveBackUse(ctx: EnrolmentContext, id: string): Promise<void> {
  const token = await ctx.store.get('JoinToken', undefined, id);
  if (token?.status === undefined || token.status.used < 1) return;
  await ctx.store.update({ ...token, status: { ...token.status, used: token.status.used - 1 } });
}

async function writeDevice(store: Store, name: string, labels: Labels, identity: NonNullable<NonNullable<Device['status']>['identity']>): Promise<Device> {
  const stored = await store.get('Device', undefined, name);
  if (stored === undefined) {
    return store.create<Device>({
      apiVersion: 'flotilla.io/v1',
      kind: 'Device',
      metadata: { name, labels },
      spec: {},
      status: { state: 'NotReady', message: 'enrolled; waiting for its agent to connect', identity },
    });
  }
  // A Device made beforehand (applied, or seen on a development listener) is adopted.
  return store.update<Device>({
    ...stored,
    metadata: { ...stored.metadata, labels: { ...stored.metadata.labels, ...labels } },
    status: { ...(stored.status ?? { state: 'NotReady' }), identity },
  });
}
