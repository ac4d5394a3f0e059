/**
 * Where a bundle goes: a directory or a .tar.gz to copy to the device and run install.sh
 * from, or straight into a mounted root filesystem, laid out as install.sh would lay it.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { FlotillaError } from '../../shared/errors.js';
import { BUNDLE_FILES_DIRECTORY } from './install-script.js';
import type { DevicePayload } from './payload.js';
import { tarGz, type TarEntry } from './tar.js';

export const INSTALL_SCRIPT_NAME = 'install.sh';

/** The bundle's files, relative to its top: install.sh, then files/<path on the device>, with every directory first. */
export function bundleEntries(payload: DevicePayload, installScript: string): TarEntry[] {
  const entries: TarEntry[] = [{ path: INSTALL_SCRIPT_NAME, mode: 0o755, content: installScript }];
  const directories = new Set<string>();
  const addDirectory = (path: string): void => {
    if (path === '.' || directories.has(path)) return;
    addDirectory(posix.dirname(path));
    directories.add(path);
    entries.push({ path: `${path}/`, mode: 0o755 });
  };
  for (const file of payload.files) {
    const path = posix.join(BUNDLE_FILES_DIRECTORY, file.path);
    addDirectory(posix.dirname(path));
    entries.push({ path, mode: file.mode, content: file.content });
  }
  return entries;
}

/** `--out dir` must be new or empty, so no file of an older bundle is left in it to be installed. */
export function checkBundleDirectory(directory: string): void {
  if (existsSync(directory) && (!statSync(directory).isDirectory() || readdirSync(directory).length > 0)) {
    throw new FlotillaError('AlreadyExists', `--out ${directory} exists and is not an empty directory`, {
      hint: 'give a new directory, or a file name ending in .tar.gz',
    });
  }
}

export function writeBundleDirectory(directory: string, entries: readonly TarEntry[]): void {
  checkBundleDirectory(directory);
  mkdirSync(directory, { recursive: true });
  for (const entry of entries) {
    const path = join(directory, entry.path);
    if (entry.content === undefined) {
      mkdirSync(path, { recursive: true });
      chmodSync(path, entry.mode);
    } else {
      writeFileSync(path, entry.content, { mode: entry.mode });
      chmodSync(path, entry.mode);
    }
  }
}

/** `--out x.tar.gz`: the bundle under one top directory, so unpacking it makes that directory. */
export function writeBundleTarball(file: string, topDirectory: string, entries: readonly TarEntry[]): void {
  const archived = [{ path: `${topDirectory}/`, mode: 0o755 }, ...entries.map((entry) => ({ ...entry, path: `${topDirectory}/${entry.path}` }))];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.partial`, tarGz(archived));
  renameSync(`${file}.partial`, file);
}

/**
 * `--target root`: the payload written under `root` as install.sh --root writes it, files
 * already right left alone. Returns what it changed, as device paths.
 */
export function writeIntoRoot(root: string, payload: DevicePayload): string[] {
  const changed: string[] = [];
  const under = (path: string): string => join(root, path);
  for (const directory of payload.directories) {
    const path = under(directory.path);
    const existed = existsSync(path);
    if (existed && (statSync(path).mode & 0o7777) === directory.mode) continue;
    if (!existed) mkdirSync(path, { recursive: true, mode: 0o755 });
    chmodSync(path, directory.mode);
    changed.push(directory.path);
  }
  for (const file of payload.files) {
    const path = under(file.path);
    const content = Buffer.from(file.content);
    if (existsSync(path) && lstatSync(path).isFile() && readFileSync(path).equals(content)) {
      if ((statSync(path).mode & 0o7777) !== file.mode) {
        chmodSync(path, file.mode);
        changed.push(file.path);
      }
      continue;
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    // Beside it and renamed over it, never readable by others before its mode is set.
    const partial = `${path}.flotilla-new`;
    rmSync(partial, { force: true });
    writeFileSync(partial, content, { mode: 0o600 });
    chmodSync(partial, file.mode);
    renameSync(partial, path);
    changed.push(file.path);
  }
  const link = under(payload.enableLink.path);
  if (!(isSymlink(link) && readlinkSync(link) === payload.enableLink.target)) {
    mkdirSync(dirname(link), { recursive: true, mode: 0o755 });
    rmSync(link, { force: true });
    symlinkSync(payload.enableLink.target, link);
    changed.push(payload.enableLink.path);
  }
  return changed;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
