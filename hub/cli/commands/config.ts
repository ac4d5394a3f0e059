/**
 * `flotilla config view|get-contexts|current-context|use-context|set-context|delete-context`:
 * the CLI's config file, as `kubectl config`. `set-context --ca-fingerprint` is how a person
 * trusts a hub in one step: the CA is fetched from the hub, and kept only when its
 * fingerprint is the one the hub printed in its log.
 */
import { readFileSync } from 'node:fs';
import { httpRequest, tlsFailure } from '../../../shared/http-client.js';
import type { HttpResponse } from '../../../shared/http-client.js';
import { certificateFingerprint } from '../../../shared/pki.js';
import { hubUnreachable, unreachableReason, untrustedHub } from '../client.js';
import { certificateProblem, cliConfigDocument, configPath, findContext, readCliConfig, serializeCliConfig, serverProblem, writeCliConfig } from '../config-file.js';
import type { CliConfig, CliContext, Env } from '../config-file.js';
import { write } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { alignColumns, orNone } from '../format/table.js';

const REDACTED = 'REDACTED';
const OMITTED = 'DATA+OMITTED';
const ACCESS_TOKEN_PREFIX = 'flotilla-access.';
const FETCH_TIMEOUT_MS = 15_000;

/** The file these commands read and write: --config, FLOTILLA_CONFIG, ~/.config/flotilla/config.yaml. */
export function configFileOf(options: GlobalOptions, env: Env = process.env): string {
  const flag = options.config?.trim();
  return flag === undefined || flag === '' ? configPath(env) : flag;
}

export interface ViewOptions extends GlobalOptions {
  raw?: boolean;
  output?: 'yaml' | 'json';
}

/** The config as shown: tokens `REDACTED` and CA data `DATA+OMITTED`, unless raw. */
export function viewOf(config: CliConfig, raw: boolean): CliConfig {
  if (raw) return config;
  return {
    ...config,
    contexts: config.contexts.map((context) => {
      const shown: CliContext = { ...context };
      if (shown.token !== undefined) shown.token = REDACTED;
      if (shown['certificate-authority-data'] !== undefined) shown['certificate-authority-data'] = OMITTED;
      return shown;
    }),
  };
}

export function runConfigView(options: ViewOptions): void {
  const view = viewOf(readCliConfig(configFileOf(options)), options.raw === true);
  write(options.output === 'json' ? `${JSON.stringify(cliConfigDocument(view), null, 2)}\n` : serializeCliConfig(view));
}

/** `flotilla-access.<name>.<secret>` → its holder's name; another shape → "set". */
export function tokenHolder(token: string | undefined): string {
  if (token === undefined) return '';
  if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return '(set)';
  const name = token.slice(ACCESS_TOKEN_PREFIX.length).split('.')[0];
  return name === undefined || name === '' ? '(set)' : name;
}

export function contextTable(config: CliConfig): string {
  const rows = config.contexts.map((context) => [
    // kubectl marks the current context with * and leaves the others blank.
    context.name === config['current-context'] ? '*' : '',
    context.name,
    context.server,
    orNone(context['certificate-authority-data'] !== undefined ? 'embedded' : context['certificate-authority']),
    orNone(tokenHolder(context.token)),
  ]);
  return alignColumns([['CURRENT', 'NAME', 'SERVER', 'CA', 'TOKEN'], ...rows]);
}

export function runConfigGetContexts(options: GlobalOptions & { output?: 'name' }): void {
  const file = configFileOf(options);
  const config = readCliConfig(file);
  if (options.output === 'name') {
    write(config.contexts.map((context) => `${context.name}\n`).join(''));
    return;
  }
  if (config.contexts.length === 0) {
    throw new CliError(`no contexts in ${file}`, { hint: 'add one with: flotilla config set-context <name> --server https://host:7080 --ca-fingerprint sha256:…' });
  }
  write(contextTable(config));
}

export function runConfigCurrentContext(options: GlobalOptions): void {
  const file = configFileOf(options);
  const current = readCliConfig(file)['current-context'];
  if (current === undefined) throw new CliError(`current-context is not set in ${file}`, { hint: 'choose one with: flotilla config use-context <name>' });
  write(`${current}\n`);
}

function unknownContext(name: string, file: string, config: CliConfig): CliError {
  const known = config.contexts.map((context) => context.name);
  return new CliError(`no context named "${name}" in ${file}`, {
    hint: known.length === 0 ? 'add one with: flotilla config set-context <name> --server https://host:7080' : `known contexts: ${known.join(', ')}`,
  });
}

export function runConfigUseContext(name: string, options: GlobalOptions): void {
  const file = configFileOf(options);
  const config = readCliConfig(file);
  if (findContext(config, name) === undefined) throw unknownContext(name, file, config);
  writeCliConfig(file, { ...config, 'current-context': name });
  write(`Switched to context "${name}".\n`);
}

export function runConfigDeleteContext(name: string, options: GlobalOptions): void {
  const file = configFileOf(options);
  const config = readCliConfig(file);
  if (findContext(config, name) === undefined) throw unknownContext(name, file, config);
  const next: CliConfig = { ...config, contexts: config.contexts.filter((context) => context.name !== name) };
  const wasCurrent = config['current-context'] === name;
  if (wasCurrent) delete next['current-context'];
  writeCliConfig(file, next);
  write(`deleted context ${name} from ${file}\n`);
  if (wasCurrent) write(`it was the current context: choose another with 'flotilla config use-context <name>'\n`);
}

/**
 * A CA fingerprint as typed: `sha256:<hex>` (how Flotilla prints it), or the 64 hex digits
 * alone, with or without colons and in either case (how openssl prints it).
 */
export function parseFingerprint(text: string, flag = '--ca-fingerprint'): string {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw usageError(`invalid ${flag} "${text}": must be sha256: and 64 hex digits`, "the hub logs its CA's fingerprint when it starts");
  }
  return `sha256:${hex}`;
}

export interface SetContextOptions extends GlobalOptions {
  caFile?: string;
  caFingerprint?: string;
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw usageError(`invalid --ca-file "${path}": ${reason}`);
  }
  const problem = certificateProblem(pem);
  if (problem !== undefined) throw usageError(`invalid --ca-file "${path}": ${problem}`);
  return pem;
}

/**
 * The hub's CA, fetched without verification (there is nothing to verify with yet) and
 * accepted only when its fingerprint is `expected`; then the hub's own certificate is
 * checked against it, so a name the certificate does not cover is found now, not later.
 */
export async function fetchTrustedCa(server: string, expected: string): Promise<string> {
  const connection = { server, from: '--server', configFile: '' };
  const ask = async (path: string, trust: { ca: string } | { rejectUnauthorized: false }): Promise<HttpResponse> => {
    try {
      return await httpRequest({ url: `${server}${path}`, timeoutMs: FETCH_TIMEOUT_MS, ...trust });
    } catch (error) {
      const failure = tlsFailure(error);
      if (failure !== undefined) {
        const trusted = 'ca' in trust ? { caPem: trust.ca, caFrom: `the CA ${expected} it served at /api/v1/ca` } : {};
        throw untrustedHub({ ...connection, ...trusted }, failure);
      }
      throw hubUnreachable(server, unreachableReason(error));
    }
  };
  const response = await ask('/api/v1/ca', { rejectUnauthorized: false });
  if (response.status !== 200) throw new CliError(`the server at ${server} answered HTTP ${response.status} to GET /api/v1/ca: is it a Flotilla hub?`);
  const pem = response.body.toString('utf8');
  if (certificateProblem(pem) !== undefined) throw new CliError(`the server at ${server} did not answer GET /api/v1/ca with a PEM certificate: is it a Flotilla hub?`);
  const actual = certificateFingerprint(pem);
  if (actual !== expected) {
    throw new CliError(
      `the CA of the server at ${server} has fingerprint ${actual}, not ${expected}; nothing was saved: check the fingerprint in the hub's log, and that this address reaches your hub`,
    );
  }
  await ask('/healthz', { ca: pem });
  return pem;
}

export async function runConfigSetContext(name: string, options: SetContextOptions): Promise<void> {
  if (name.trim() === '') throw usageError('a context needs a name');
  const file = configFileOf(options);
  const config = readCliConfig(file);
  const existing = findContext(config, name);

  const server = options.server?.trim().replace(/\/+$/, '') ?? existing?.server;
  if (server === undefined) throw usageError(`context "${name}" is new: give its hub's address with --server https://host:7080`);
  if (options.server !== undefined) {
    const problem = serverProblem(server);
    if (problem !== undefined) throw usageError(`invalid --server: ${problem}`);
  }
  const token = options.token?.trim();
  if (token !== undefined) {
    if (token === '') throw usageError('invalid --token: must not be empty');
    if (token.startsWith('flotilla1.')) {
      throw usageError('invalid --token: that is a join token, which lets a device join; the CLI needs an access token', 'an admin makes one with: flotilla access grant <name> --role viewer');
    }
  }
  const expected = options.caFingerprint === undefined ? undefined : parseFingerprint(options.caFingerprint);
  if (expected !== undefined && options.caFile === undefined && !server.startsWith('https:')) {
    throw usageError(`--ca-fingerprint needs an https:// server, not ${server}`);
  }

  let caPem: string | undefined;
  if (options.caFile !== undefined) {
    caPem = readCaFile(options.caFile);
    if (expected !== undefined && certificateFingerprint(caPem) !== expected) {
      throw usageError(`invalid --ca-file "${options.caFile}": its fingerprint is ${certificateFingerprint(caPem)}, not the ${expected} of --ca-fingerprint`);
    }
  } else if (expected !== undefined) {
    caPem = await fetchTrustedCa(server, expected);
  }

  const context: CliContext = { ...existing, name, server };
  if (token !== undefined) context.token = token;
  if (caPem !== undefined) {
    context['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
    delete context['certificate-authority'];
  }
  const contexts = existing === undefined ? [...config.contexts, context] : config.contexts.map((c) => (c.name === name ? context : c));
  const makeCurrent = config['current-context'] === undefined;
  writeCliConfig(file, { ...config, contexts, ...(makeCurrent ? { 'current-context': name } : {}) });

  write(`Context "${name}" ${existing === undefined ? 'created' : 'modified'}${makeCurrent ? ' and made current' : ''}.\n`);
  if (caPem !== undefined) write(`CA ${certificateFingerprint(caPem)} trusted for ${server}\n`);
}
