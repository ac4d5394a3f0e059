/**
 * The CLI's HTTP client for the hub's API, on the global fetch. A hub that cannot be reached
 * is one line that says what to do; an API error comes back as the FlotillaError it was.
 */
import { FlotillaError, isErrorBody } from '../../shared/errors.js';
import { CliError, usageError } from './errors.js';

export const DEFAULT_SERVER = 'http://localhost:7080';

/** Long enough for a large apply on a busy hub, short enough that a hung hub is noticed. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The hub's address from --server, FLOTILLA_SERVER or the default; refuses anything but http(s). */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const text = flag ?? env['FLOTILLA_SERVER'] ?? DEFAULT_SERVER;
  const from = flag !== undefined ? '--server' : env['FLOTILLA_SERVER'] !== undefined ? 'FLOTILLA_SERVER' : 'default';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`invalid ${from} "${text}": not a URL`, 'write it as http://host:7080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`invalid ${from} "${text}": the hub's API is http:// or https://`, 'write it as http://host:7080');
  }
  return text.replace(/\/+$/, '');
}

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

/** Why fetch failed, in a few words: "connection refused", "timed out". */
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

export type Query = Record<string, string | undefined>;

export class HubClient {
  readonly server: string;

  constructor(server: string) {
    this.server = server;
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
    const init: RequestInit = { method, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, init);
      text = await response.text();
    } catch (error) {
      throw hubUnreachable(this.server, unreachableReason(error));
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(
        `the server at ${this.server} did not answer like a Flotilla hub (HTTP ${response.status}, ${response.headers.get('content-type') ?? 'no content type'})`,
        { hint: 'check --server or FLOTILLA_SERVER' },
      );
    }
    if (response.ok) return parsed as T;
    if (isErrorBody(parsed)) throw FlotillaError.fromBody(parsed);
    throw new CliError(`the hub answered HTTP ${response.status} to ${method} ${url.pathname}`);
  }
}
