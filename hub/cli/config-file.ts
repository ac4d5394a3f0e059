/**
 * The CLI's config file, kubeconfig's idea in small: named contexts, each a hub's API URL,
 * the CA to trust for it and the access token to send, and which context is current.
 *
 *   apiVersion: flotilla.io/v1
 *   kind: Config
 *   current-context: my-hub
 *   contexts:
 *     - name: my-hub
 *       server: https://hub.example:7080
 *       certificate-authority-data: <base64 of the CA PEM>   # or certificate-authority: <PEM file>
 *       token: flotilla-access.admin.xxxx
 *
 * The hub writes one of these for its admin (`<data-dir>/admin.yaml`), so the types keep the
 * file's own key names: what is read, written and shown is the same shape.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument, stringify } from 'yaml';
import { CliError, usageError } from './errors.js';

export const CONFIG_API_VERSION = 'flotilla.io/v1';
export const DEFAULT_SERVER = 'https://localhost:7080';

export interface CliContext {
  name: string;
  /** The hub's API, `https://hub.example:7080`. */
  server: string;
  /** Base64 of the PEM of the CA to trust for `server`. */
  'certificate-authority-data'?: string;
  /** A PEM file of that CA; relative paths are relative to the config file. */
  'certificate-authority'?: string;
  /** An access token, `flotilla-access.<name>.<secret>`. */
  token?: string;
}

export interface CliConfig {
  apiVersion: typeof CONFIG_API_VERSION;
  kind: 'Config';
  'current-context'?: string;
  contexts: CliContext[];
}

export type Env = Record<string, string | undefined>;

export function emptyCliConfig(): CliConfig {
  return { apiVersion: CONFIG_API_VERSION, kind: 'Config', contexts: [] };
}

/** `FLOTILLA_CONFIG`, else `~/.config/flotilla/config.yaml`. */
export function configPath(env: Env = process.env): string {
  const explicit = nonEmpty(env['FLOTILLA_CONFIG']);
  if (explicit !== undefined) return explicit;
  return join(nonEmpty(env['HOME']) ?? homedir(), '.config', 'flotilla', 'config.yaml');
}

/** A context for one hub, made current: what the hub writes to `<data-dir>/admin.yaml`. */
export function hubContext(options: { name: string; server: string; caPem: string; token: string }): CliConfig {
  return {
    apiVersion: CONFIG_API_VERSION,
    kind: 'Config',
    'current-context': options.name,
    contexts: [
      {
        name: options.name,
        server: options.server,
        'certificate-authority-data': Buffer.from(options.caPem).toString('base64'),
        token: options.token,
      },
    ],
  };
}

/** The config as a plain object in the file's order: apiVersion, kind, current-context, contexts. */
export function cliConfigDocument(config: CliConfig): Record<string, unknown> {
  const ordered: Record<string, unknown> = { apiVersion: config.apiVersion, kind: config.kind };
  if (config['current-context'] !== undefined) ordered['current-context'] = config['current-context'];
  ordered['contexts'] = config.contexts.map((context) => {
    const entry: Record<string, string> = { name: context.name, server: context.server };
    for (const key of ['certificate-authority-data', 'certificate-authority', 'token'] as const) {
      const value = context[key];
      if (value !== undefined) entry[key] = value;
    }
    return entry;
  });
  return ordered;
}

export function serializeCliConfig(config: CliConfig): string {
  // No line folding: a base64 CA or a token broken over lines is hard to copy.
  return stringify(cliConfigDocument(config), { lineWidth: 0 });
}

/** The config in `path`; an empty one when the file does not exist. A broken file is an error naming it and the field. */
export function readCliConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return emptyCliConfig();
    throw new CliError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  return parseCliConfig(text, path);
}

/** Parses and checks a config file's text; `path` is only for messages. */
export function parseCliConfig(text: string, path: string): CliConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const at = lines.linePos(syntax.pos[0]);
    throw brokenFile(path, `line ${at.line}, column ${at.col}`, `YAML syntax error: ${syntax.message.split('\n')[0] ?? ''}`);
  }
  if (document.contents === null) return emptyCliConfig();
  if (!isMap(document.contents)) throw brokenFile(path, '(top level)', 'must be a mapping with apiVersion, kind and contexts');
  const raw = document.toJS() as Record<string, unknown>;
  if (raw['apiVersion'] !== CONFIG_API_VERSION) {
    throw brokenFile(path, 'apiVersion', `must be ${CONFIG_API_VERSION}, got ${JSON.stringify(raw['apiVersion'] ?? null)}`);
  }
  if (raw['kind'] !== 'Config') throw brokenFile(path, 'kind', `must be Config, got ${JSON.stringify(raw['kind'] ?? null)}`);
  const config = emptyCliConfig();
  const current = raw['current-context'];
  if (current !== undefined && current !== null && current !== '') {
    if (typeof current !== 'string') throw brokenFile(path, 'current-context', 'must be the name of a context');
    config['current-context'] = current;
  }
  const contexts = raw['contexts'] ?? [];
  if (!Array.isArray(contexts)) throw brokenFile(path, 'contexts', 'must be a list of contexts');
  contexts.forEach((entry: unknown, index: number) => {
    const context = checkContext(entry, `contexts[${index}]`, path);
    if (config.contexts.some((other) => other.name === context.name)) {
      throw brokenFile(path, `contexts[${index}].name`, `context "${context.name}" is defined twice`);
    }
    config.contexts.push(context);
  });
  return config;
}

function checkContext(entry: unknown, field: string, path: string): CliContext {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw brokenFile(path, field, 'must be a mapping with name and server');
  }
  const raw = entry as Record<string, unknown>;
  const known = ['name', 'server', 'certificate-authority-data', 'certificate-authority', 'token'];
  const unknown = Object.keys(raw).find((key) => !known.includes(key));
  if (unknown !== undefined) throw brokenFile(path, `${field}.${unknown}`, `is not a known field (known: ${known.join(', ')})`);
  const name = raw['name'];
  if (typeof name !== 'string' || name.trim() === '') throw brokenFile(path, `${field}.name`, 'must be a non-empty string');
  const server = raw['server'];
  if (typeof server !== 'string') throw brokenFile(path, `${field}.server`, "must be the hub's URL, as https://hub.example:7080");
  const problem = serverProblem(server);
  if (problem !== undefined) throw brokenFile(path, `${field}.server`, problem);
  const context: CliContext = { name, server };
  for (const key of ['certificate-authority-data', 'certificate-authority', 'token'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.trim() === '') throw brokenFile(path, `${field}.${key}`, 'must be a non-empty string');
    context[key] = value.trim();
  }
  if (context['certificate-authority-data'] !== undefined && context['certificate-authority'] !== undefined) {
    throw brokenFile(path, `${field}.certificate-authority`, 'give certificate-authority-data or certificate-authority, not both');
  }
  return context;
}

function brokenFile(path: string, field: string, problem: string): CliError {
  return new CliError(`the config file ${path} is broken: ${field}: ${problem}`, {
    hint: `fix or delete the file, or use another with --config or FLOTILLA_CONFIG`,
  });
}

/** What is wrong with a hub URL, or undefined. */
export function serverProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL: write it as https://host:7080`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${text}": the hub's API is https:// (or http://)`;
  if (url.search !== '' || url.hash !== '') return `"${text}": give the hub's address only, as https://host:7080`;
  return undefined;
}

/** Writes the whole file at once (a reader never sees half of it), readable by its owner only. */
export function writeCliConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, serializeCliConfig(config), { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(`cannot write the config file ${path}: ${(error as Error).message}`);
  }
}

export function findContext(config: CliConfig, name: string): CliContext | undefined {
  return config.contexts.find((context) => context.name === name);
}

/** How to reach the hub, and where each part came from (for messages). */
export interface Connection {
  /** No trailing slash. */
  server: string;
  token?: string;
  /** The one CA to trust for an https server; absent: the system's CAs. */
  caPem?: string;
  /** Where the server came from: `--server`, `FLOTILLA_SERVER`, `context "x" in <file>`, `default`. */
  from: string;
  /** The context used, when one was. */
  context?: string;
  /** Where the CA came from, for a message about a certificate it does not trust. */
  caFrom?: string;
  /** The config file consulted. */
  configFile: string;
}

export interface ConnectionFlags {
  server?: string;
  token?: string;
  context?: string;
  config?: string;
}

/**
 * Flags beat environment variables beat the config file's context beat the default: the
 * server from `--server`, `FLOTILLA_SERVER`, the context, `https://localhost:7080`; the
 * token from `--token`, `FLOTILLA_TOKEN`, the context; the context named by `--context`,
 * `FLOTILLA_CONTEXT`, `current-context`. The CA is always the context's.
 */
export function resolveConnection(flags: ConnectionFlags, env: Env = process.env): Connection {
  const explicitFile = nonEmpty(flags.config);
  const file = explicitFile ?? configPath(env);
  // A file named on the command line is expected to exist; the default one need not.
  if (explicitFile !== undefined && !existsSync(file)) {
    throw usageError(`invalid --config "${file}": no such file`, 'create it with: flotilla config set-context <name> --server https://host:7080');
  }
  const config = readCliConfig(file);

  const contextFlag = nonEmpty(flags.context);
  const contextEnv = nonEmpty(env['FLOTILLA_CONTEXT']);
  const contextName = contextFlag ?? contextEnv ?? config['current-context'];
  let context: CliContext | undefined;
  if (contextName !== undefined) {
    context = findContext(config, contextName);
    if (context === undefined) {
      const source = contextFlag !== undefined ? '--context' : contextEnv !== undefined ? 'FLOTILLA_CONTEXT' : 'current-context';
      const known = config.contexts.map((c) => c.name);
      throw new CliError(`context "${contextName}" (from ${source}) is not in the config file ${file}`, {
        hint: known.length === 0 ? 'add one with: flotilla config set-context <name> --server https://host:7080' : `known contexts: ${known.join(', ')}`,
      });
    }
  }

  const serverFlag = nonEmpty(flags.server);
  const serverEnv = nonEmpty(env['FLOTILLA_SERVER']);
  const [serverText, from] =
    serverFlag !== undefined
      ? [serverFlag, '--server']
      : serverEnv !== undefined
        ? [serverEnv, 'FLOTILLA_SERVER']
        : context !== undefined
          ? [context.server, `context "${context.name}" in ${file}`]
          : [DEFAULT_SERVER, 'default'];
  const problem = serverProblem(serverText);
  if (problem !== undefined) throw usageError(`invalid ${from}: ${problem}`);

  const connection: Connection = { server: serverText.replace(/\/+$/, ''), from, configFile: file };
  const token = nonEmpty(flags.token) ?? nonEmpty(env['FLOTILLA_TOKEN']) ?? context?.token;
  if (token !== undefined) connection.token = token;
  if (context !== undefined) {
    connection.context = context.name;
    const ca = contextCa(context, file);
    if (ca !== undefined) {
      connection.caPem = ca.pem;
      connection.caFrom = ca.from;
    }
  }
  return connection;
}

/** The PEM of a context's CA, read from its data or its file, checked to be a certificate. */
export function contextCa(context: CliContext, file: string): { pem: string; from: string } | undefined {
  const which = `context "${context.name}"`;
  const data = context['certificate-authority-data'];
  if (data !== undefined) {
    const pem = Buffer.from(data, 'base64').toString('utf8');
    const problem = certificateProblem(pem);
    if (problem !== undefined) throw brokenFile(file, `${which}: certificate-authority-data`, `${problem} (it must be the base64 of a PEM certificate)`);
    return { pem, from: `certificate-authority-data of ${which} in ${file}` };
  }
  const caFile = context['certificate-authority'];
  if (caFile !== undefined) {
    const path = isAbsolute(caFile) ? caFile : resolve(dirname(file), caFile);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new CliError(`cannot read the CA file ${path} (certificate-authority of ${which} in ${file}): ${reason}`, {
        hint: `fetch the hub's CA again with: flotilla config set-context ${context.name} --ca-fingerprint sha256:<the hub's CA fingerprint>`,
      });
    }
    const problem = certificateProblem(pem);
    if (problem !== undefined) throw new CliError(`the CA file ${path} (certificate-authority of ${which} in ${file}) ${problem}`);
    return { pem, from: `${path} (certificate-authority of ${which} in ${file})` };
  }
  return undefined;
}

/** What is wrong with text meant to be a PEM certificate, or undefined. */
export function certificateProblem(pem: string): string | undefined {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return 'is not a PEM certificate';
  try {
    new X509Certificate(pem);
  } catch {
    return 'holds a PEM certificate that cannot be read';
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
