/**
 * The device's identity, kept in `<stateDir>/identity/` once enrolment gave it one: the key
 * made here (never sent anywhere), the certificate the hub signed for it, the hub's CA, and
 * the broker to connect to. Written key first and the record last, each atomically, so a
 * device that loses power mid-way enrols again rather than starting with half an identity.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceIdentity {
  device: string;
  /** The broker's device listener, `mqtts://hub.example:8883`. */
  mqttUrl: string;
  /** The hub's API, where the certificate is renewed. */
  apiUrl?: string;
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

const KEY = 'device.key';
const CERTIFICATE = 'device.crt';
const CA = 'ca.crt';
/** Written last: its presence says the rest is complete. */
const RECORD = 'identity.json';

export function identityDir(stateDir: string): string {
  return join(stateDir, 'identity');
}

/** The identity kept in `stateDir`, or undefined before enrolment. */
export function loadIdentity(stateDir: string): DeviceIdentity | undefined {
  const dir = identityDir(stateDir);
  if (!existsSync(join(dir, RECORD))) return undefined;
  let record: { device?: unknown; mqttUrl?: unknown; apiUrl?: unknown };
  try {
    record = JSON.parse(readFileSync(join(dir, RECORD), 'utf8')) as typeof record;
  } catch (error) {
    throw new Error(`the identity in ${dir} cannot be read (${(error as Error).message}); remove that directory and start with a join token to enrol again`);
  }
  if (typeof record.device !== 'string' || typeof record.mqttUrl !== 'string') {
    throw new Error(`the identity in ${dir} is incomplete; remove that directory and start with a join token to enrol again`);
  }
  return {
    device: record.device,
    mqttUrl: record.mqttUrl,
    ...(typeof record.apiUrl === 'string' ? { apiUrl: record.apiUrl } : {}),
    keyPem: readFileSync(join(dir, KEY), 'utf8'),
    certificatePem: readFileSync(join(dir, CERTIFICATE), 'utf8'),
    caPem: readFileSync(join(dir, CA), 'utf8'),
  };
}

export function saveIdentity(stateDir: string, identity: DeviceIdentity): void {
  const dir = identityDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeAtomically(join(dir, KEY), identity.keyPem, 0o600);
  writeAtomically(join(dir, CERTIFICATE), identity.certificatePem, 0o644);
  writeAtomically(join(dir, CA), identity.caPem, 0o644);
  writeAtomically(join(dir, RECORD), `${JSON.stringify({ device: identity.device, mqttUrl: identity.mqttUrl, apiUrl: identity.apiUrl }, null, 2)}\n`, 0o644);
}

function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode, flush: true });
  renameSync(temporary, path);
}
