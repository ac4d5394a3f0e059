/**
 * Reads the manifests of `apply -f` and `delete -f`: files, directories (their .yaml, .yml
 * and .json files, in name order) or `-` for stdin. A file holds one or more YAML documents
 * (JSON is YAML too); empty documents are skipped and a `kind: List` is flattened. Each
 * manifest remembers where it came from, so errors can point at the file and document.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError } from './errors.js';

export interface Manifest {
  object: Record<string, unknown>;
  /** `web.yaml`, `web.yaml (document 2)`, `stdin (document 1, items[3])`. */
  source: string;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function filesOf(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${path}: no such file or directory` : `${path}: cannot be read (${code ?? String(error)})`);
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext))).sort();
  if (names.length === 0) throw new CliError(`${path}: the directory has no .yaml, .yml or .json files`);
  return names.map((name) => join(path, name));
}

/** `Flow sequence ... at line 5, column 1:\n\n  c: d\n^` → its first line, without the position. */
function yamlProblem(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/** The documents of one file's text, in order; throws on the first syntax error. */
export function parseManifestText(text: string, file: string): Manifest[] {
  const documents = parseAllDocuments(text);
  const manifests: Manifest[] = [];
  const several = documents.length > 1;
  for (const [index, document] of documents.entries()) {
    const error = document.errors[0];
    if (error !== undefined) {
      const at = error.linePos?.[0];
      const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
      throw new CliError(`${where}: YAML syntax error: ${yamlProblem(error.message)}`);
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const source = several ? `${file} (document ${index + 1})` : file;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new CliError(`${source}: a manifest must be a mapping with apiVersion, kind and metadata`);
    }
    const object = value as Record<string, unknown>;
    if (object['kind'] === 'List') {
      const items = object['items'];
      if (!Array.isArray(items)) throw new CliError(`${source}: a List must have an items array`);
      items.forEach((item: unknown, itemIndex) => {
        const itemSource = several ? `${file} (document ${index + 1}, items[${itemIndex}])` : `${file} (items[${itemIndex}])`;
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          throw new CliError(`${itemSource}: a manifest must be a mapping with apiVersion, kind and metadata`);
        }
        manifests.push({ object: item as Record<string, unknown>, source: itemSource });
      });
      continue;
    }
    manifests.push({ object, source });
  }
  return manifests;
}

/** Every manifest of every path, in the order given. */
export async function loadManifests(paths: readonly string[]): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const path of paths) {
    if (path === '-') {
      manifests.push(...parseManifestText(await readStdin(), 'stdin'));
      continue;
    }
    for (const file of await filesOf(path)) {
      manifests.push(...parseManifestText(await readFile(file, 'utf8'), file));
    }
  }
  if (manifests.length === 0) throw new CliError(`no manifests found in ${paths.join(', ')}`);
  return manifests;
}
