/**
 * `flotilla flash`: an install bundle for a device of a firmware profile, as a directory or
 * tarball to copy to the device, or written straight into a mounted SD card's root
 * filesystem. Progress and warnings go to stderr; what was made and what to do next, to stdout.
 */
import { basename } from 'node:path';
import { usageError, writeErrorLine } from '../errors.js';

export interface FlashFlags {
  profile: string;
  token?: string;
  name?: string;
  labels?: string;
  out?: string;
  target?: string;
  caFile?: string;
  nodeBinary?: string;
}

export async function runFlash(flags: FlashFlags): Promise<void> {
  if (flags.token === undefined) throw usageError('--token is required: the join token the device enrols with', 'make one with: flotilla token create');
  if ((flags.out === undefined) === (flags.target === undefined)) {
    throw usageError(
      flags.out === undefined ? 'say where the bundle goes: --out or --target' : 'give --out or --target, not both',
      '--out <dir or file.tar.gz> makes a bundle to copy to the device; --target <dir> writes into a mounted root filesystem',
    );
  }
  // The profile loader is the agent's own; loaded only when this command runs.
  const { loadFirmwareProfile } = await import('../../../agent/profile.js');
  const profile = loadFirmwareProfile(flags.profile);
  const { flash } = await import('../../flash/flash.js');
  const result = await flash({
    profile,
    token: flags.token,
    destination: flags.out !== undefined ? { out: flags.out } : { target: flags.target ?? '' },
    ...(flags.name === undefined ? {} : { deviceName: flags.name }),
    ...(flags.labels === undefined ? {} : { labels: flags.labels }),
    ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
    ...(flags.nodeBinary === undefined ? {} : { nodeBinary: flags.nodeBinary }),
    progress: (line) => writeErrorLine(line),
  });
  for (const warning of result.warnings) writeErrorLine(`warning: ${warning}`);

  const lines: string[] = [];
  const device = '<user>@<device>';
  if (result.kind === 'target') {
    lines.push(
      result.changed.length === 0
        ? `${result.path} already held this agent, configured as asked: nothing changed`
        : `wrote the agent for ${profile.name} into ${result.path}:`,
      ...result.changed.map((path) => `  ${path}`),
      'next: unmount it (sync; umount ' + result.path + '), put the card in the device and power it on;',
      `it joins ${result.hub} on first boot. Watch for it with: flotilla get devices -w`,
    );
  } else {
    const name = basename(result.path);
    const unpacked = result.kind === 'tarball' ? name.replace(/\.(tar\.gz|tgz)$/, '') : name;
    lines.push(
      `wrote ${result.path}: the agent for ${profile.name}, joining ${result.hub}`,
      'next, copy it to the device and install it there as root:',
      result.kind === 'tarball' ? `  scp ${result.path} ${device}:` : `  scp -r ${result.path} ${device}:`,
      result.kind === 'tarball'
        ? `  ssh ${device} 'tar xzf ${name} && sudo sh ${unpacked}/install.sh'`
        : `  ssh ${device} 'sudo sh ${unpacked}/install.sh'`,
      'then watch for it with: flotilla get devices -w',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
