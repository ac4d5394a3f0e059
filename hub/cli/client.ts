/**
 * The CLI's client for the hub's API: it trusts the context's CA and sends its access token.
 * A hub that cannot be reached, a certificate that cannot be trusted and a missing token are
 * one line each that says what to do; an API error comes back as the FlotillaError it was.
 */
import { FlotillaError, isErrorBody } from '../../shared/errors.js';
import { httpRequest, tlsFailure } from '../../shared/http-client.js';
import type { HttpResponse, TlsFailure } from '../../shared/http-client.js';
import { DEFAULT_SERVER } from './config-file.js';
import type { Connection } from './config-file.js';
import { CliError } from './errors.js';

export { DEFAULT_SERVER };

/** Long enough for a large apply on a busy hub, short enough that a hung hub is noticed. */
const REQUEST_TIMEOUT_MS = 30_000;

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
};

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Node tries each address of "localhost" and reports them together.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

/** Why a request failed, in a few words: "connection refused", "timed out". */
export function unreachableReason(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const code = errorCode(cause);
  if (code !== undefined) return REASONS[code] ?? code;
  return cause instanceof Error ? cause.message : String(cause);
}

export function hubUnreachable(server: string, reason: string): CliError {
  return new CliError(
    `cannot reach the hub at ${server} (${reason}): start one with 'flotilla hub', or point elsewhere with --server or FLOTILLA_SERVER`,
  );
}

/** The context's name in a suggested command, or a placeholder for one. */
function contextArgument(connection: Connection): string {
  return connection.context ?? '<name>';
}

/** A certificate the CLI will not trust, in one line: which server, which CA, what to check. */
export function untrustedHub(connection: Connection, failure: TlsFailure): CliError {
  const server = connection.server;
  const trust = `flotilla config set-context ${contextArgument(connection)} --server ${server} --ca-fingerprint sha256:<the fingerprint in the hub's log>`;
  switch (failure.kind) {
    case 'untrusted':
      return new CliError(
        connection.caPem === undefined
          ? `cannot trust the hub at ${server}: its certificate is not from a known CA and no CA is set for it; trust the hub's CA with '${trust}', or use the context in the hub's <data-dir>/admin.yaml`
          : `cannot trust the hub at ${server}: its certificate is not signed by the CA it is trusted with (${connection.caFrom ?? 'the context'}); check that the server is the hub you mean, or fetch its CA again with '${trust}'`,
      );
    case 'name-mismatch':
      return new CliError(
        `cannot trust the hub at ${server}: its certificate is not for this address (${failure.detail}); use a host name or address the hub's certificate names, in --server or the context's server`,
      );
    case 'expired':
    case 'not-yet-valid':
      return new CliError(
        `cannot trust the hub at ${server}: its certificate ${failure.kind === 'expired' ? 'has expired' : 'is not valid yet'}; check the clocks of this machine and the hub, and restart the hub to renew its certificate`,
      );
    case 'not-tls':
      return new CliError(`the server at ${server} does not speak TLS: the hub's API is https://; if this server is plain http, write http:// in --server or the context`);
  }
}

/** A 401: the token is missing, unknown or expired. One line that says how to get one. */
export function notAuthenticated(connection: Connection, message: string): CliError {
  const why = connection.token === undefined ? 'no access token was sent' : `the access token was refused: ${message}`;
  return new CliError(
    `the hub at ${connection.server} needs an access token (${why}); save one with 'flotilla config set-context ${contextArgument(connection)} --token <token>' (an admin makes one with 'flotilla access grant'), or on the hub's machine use its admin context: FLOTILLA_CONFIG=<data-dir>/admin.yaml`,
  );
}

export type Query = Record<string, string | undefined>;

export class HubClient {
  readonly server: string;
  readonly connection: Connection;

  /** A connection from `resolveConnection`, or a bare server URL (no token, the system's CAs). */
  constructor(connection: Connection | string) {
    this.connection = typeof connection === 'string' ? { server: connection.replace(/\/+$/, ''), from: 'argument', configFile: '' } : connection;
    this.server = this.connection.server;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.connection.token !== undefined) headers['authorization'] = `Bearer ${this.connection.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: HttpResponse;
    try {
      response = await httpRequest({
        url,
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(this.connection.caPem === undefined ? {} : { ca: this.connection.caPem }),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      const failure = tlsFailure(error);
      if (failure !== undefined) throw untrustedHub(this.connection, failure);
      throw hubUnreachable(this.server, this.reasonFor(error));
    }
    const text = response.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(
        `the server at ${this.server} did not answer like a Flotilla hub (HTTP ${response.status}, ${response.headers['content-type'] ?? 'no content type'})`,
        { hint: 'check --server, FLOTILLA_SERVER or the context' },
      );
    }
    if (response.status >= 200 && response.status < 300) return parsed as T;
    if (response.status === 401) throw notAuthenticated(this.connection, isErrorBody(parsed) ? parsed.message : `HTTP ${response.status}`);
    if (isErrorBody(parsed)) throw FlotillaError.fromBody(parsed);
    throw new CliError(`the hub answered HTTP ${response.status} to ${method} ${url.pathname}`);
  }

  /** A plain-http request to an https hub is dropped without a word: say which scheme to use. */
  private reasonFor(error: unknown): string {
    const reason = unreachableReason(error);
    const code = errorCode((error as { cause?: unknown } | undefined)?.cause ?? error);
    if (this.server.startsWith('http:') && (code === 'ECONNRESET' || code === 'EPIPE')) return `${reason}; is it https://?`;
    return reason;
  }
}
