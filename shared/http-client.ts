/**
 * One small HTTP(S) client for the CLI and the agent, on node:http and node:https: it can
 * trust exactly one CA (the hub's own), which the global fetch cannot do without a new
 * dependency. Network and TLS failures reject with Node's own error, `code` included, so
 * callers can say in a few words what went wrong.
 */
import { request as httpPlainRequest } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM of the one CA to trust for an https URL; without it, the system's CAs. */
  ca?: string;
  /** False only to fetch a CA whose fingerprint the caller then checks. */
  rejectUnauthorized?: boolean;
  /** A client certificate (PEM) and its key, for a server that asks who is calling: a device renewing its own. */
  cert?: string;
  key?: string;
  /** The whole exchange, connection to last byte; default 30 s. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function httpRequest(options: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (error) {
      reject(error);
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(Object.assign(new Error(`${url.protocol}// is not http:// or https://`), { code: 'ERR_INVALID_PROTOCOL' }));
      return;
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const common = {
      method: options.method ?? 'GET',
      headers,
      // A fresh connection per request: a pooled socket the server has since closed would
      // fail the next request with a reset that reads as "hub unreachable".
      agent: false as const,
    };
    const onResponse = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
    };
    let request: ClientRequest;
    try {
      request =
        url.protocol === 'https:'
          ? httpsRequest(
              url,
              {
                ...common,
                ...(options.ca === undefined ? {} : { ca: options.ca }),
                ...(options.cert === undefined ? {} : { cert: options.cert }),
                ...(options.key === undefined ? {} : { key: options.key }),
                rejectUnauthorized: options.rejectUnauthorized ?? true,
              },
              onResponse,
            )
          : httpPlainRequest(url, common, onResponse);
    } catch (error) {
      reject(error);
      return;
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(options.body);
  });
}

const UNTRUSTED_ISSUER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export type TlsFailure =
  /** The server's certificate does not chain to the trusted CA. */
  | { kind: 'untrusted' }
  /** Signed by the trusted CA, but not for the host name or address in the URL; `detail` names both. */
  | { kind: 'name-mismatch'; detail: string }
  | { kind: 'expired' }
  | { kind: 'not-yet-valid' }
  /** An https:// request to a server that does not speak TLS. */
  | { kind: 'not-tls' };

/** What kind of TLS failure a request's error is; undefined when it is not one. */
export function tlsFailure(error: unknown): TlsFailure | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (UNTRUSTED_ISSUER.has(code)) return { kind: 'untrusted' };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's own message lists only the names of the host's type (no DNS names for an IP), so name them all.
    const { host, cert } = error as { host?: unknown; cert?: { subjectaltname?: unknown } };
    const names = typeof cert?.subjectaltname === 'string' && cert.subjectaltname !== '' ? cert.subjectaltname : 'none';
    return { kind: 'name-mismatch', detail: `${typeof host === 'string' ? host : 'the host'} is not among its names: ${names}` };
  }
  if (code === 'CERT_HAS_EXPIRED') return { kind: 'expired' };
  if (code === 'CERT_NOT_YET_VALID') return { kind: 'not-yet-valid' };
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') return { kind: 'not-tls' };
  return undefined;
}
