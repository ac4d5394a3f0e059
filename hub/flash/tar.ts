/**
 * A gzipped tar (POSIX ustar) of a bundle, written here rather than by the system's tar:
 * GNU and BSD tar spell "owned by root" differently (--owner=0 vs --uid 0), and Windows has
 * only bsdtar, while a bundle unpacked on the device by root must give root its files with
 * the modes install.sh expects, whoever built it. Regular files and directories are all a
 * bundle holds, so the format needs little.
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Relative, with "/" separators; a directory's ends in "/". */
  path: string;
  mode: number;
  /** Absent for a directory. */
  content?: string | Uint8Array;
}

const BLOCK = 512;
const NAME_MAX = 100;
const PREFIX_MAX = 155;

/** ustar keeps a path in a 100-byte name and a 155-byte prefix, split at a "/". */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= NAME_MAX) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= PREFIX_MAX && Buffer.byteLength(name) <= NAME_MAX && name !== '') return { name, prefix };
  }
  throw new Error(`path too long for a tar archive: ${path}`);
}

function octalField(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

function headerFor(entry: TarEntry, size: number, mtimeSeconds: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(entry.path);
  header.write(name, 0, NAME_MAX, 'utf8');
  octalField(header, 100, 8, entry.mode & 0o7777);
  octalField(header, 108, 8, 0); // uid: root
  octalField(header, 116, 8, 0); // gid: root
  octalField(header, 124, 12, size);
  octalField(header, 136, 12, mtimeSeconds);
  header.write(entry.content === undefined ? '5' : '0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  header.write(prefix, 345, PREFIX_MAX, 'utf8');
  // The checksum is summed with its own field read as spaces.
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

export function tarGz(entries: readonly TarEntry[], mtime: Date = new Date()): Buffer {
  const mtimeSeconds = Math.floor(mtime.getTime() / 1000);
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    blocks.push(headerFor(entry, content.length, mtimeSeconds), content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  // The end of an archive: two empty blocks.
  blocks.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}
