/** What the flash tests build bundles from: a profile, a hub CA with a token pinning it, and temp directories. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadFirmwareProfile, type FirmwareProfile } from '../../../agent/profile.js';
import { openAuthority } from '../../../hub/auth/authority.js';
import { createJoinToken } from '../../../hub/auth/join-token.js';

export const HUB = 'https://hub.example:7080';
/** Stands in for the agent bundle where building the real one (seconds) would prove nothing. */
export const FAKE_AGENT = '// the agent, built\n';

export function profile(name = 'industrial-pc-x86', overrides: Partial<FirmwareProfile> = {}): FirmwareProfile {
  return { ...loadFirmwareProfile(name), ...overrides };
}

export async function tempDir(t: Test, prefix = 'flash'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `flotilla-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestHubCa {
  pem: string;
  fingerprint: string;
  /** A join token for HUB that pins this CA. */
  token: string;
}

/** A real hub CA, made in a temp directory. */
export async function hubCa(t: Test): Promise<TestHubCa> {
  const authority = await openAuthority(join(await tempDir(t, 'ca'), 'pki'));
  const { text } = createJoinToken({ hub: HUB, caFingerprint: authority.fingerprint });
  return { pem: authority.certificatePem, fingerprint: authority.fingerprint, token: text };
}
