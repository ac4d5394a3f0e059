/**
 * A GET to the hub whose answer is read as it comes, for `flotilla logs -f`: the body goes to
 * a writable as it arrives (at the writable's pace), and the answer's trailers are read at
 * its end. Reaching, trusting and authenticating with the hub fail as HubClient's requests do.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as plainRequest } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { Writable } from 'node:stream';
import { FlotillaError, isErrorBody } from '../../shared/errors.js';
import { tlsFailure } from '../../shared/http-client.js';
import { hubUnreachable, notAuthenticated, unreachableReason, untrustedHub, type HubClient, type Query } from './client.js';
import { CliError } from './errors.js';

/** Until the answer's headers are in; a follow may then run for as long as the reader likes. */
const HEADERS_TIMEOUT_MS = 30_000;

export interface StreamedAnswer {
  /** The trailers after the body; empty when the reader went away first. */
  trailers: IncomingHttpHeaders;
}

export function streamGet(client: HubClient, path: string, query: Query, out: Writable): Promise<StreamedAnswer> {
  const { connection } = client;
  const url = new URL(client.server + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const headers: Record<string, string> = { accept: 'text/plain, application/json', te: 'trailers' };
  if (connection.token !== undefined) headers['authorization'] = `Bearer ${connection.token}`;

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { answer: StreamedAnswer } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      out.off('error', onOutputError);
      if ('answer' in outcome) resolve(outcome.answer);
      else reject(outcome.error);
    };
    const onResponse = (response: IncomingMessage): void => {
      clearTimeout(timer);
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        readError(response, status, client, url).then((error) => finish({ error }), (error: unknown) => finish({ error }));
        return;
      }
      response.on('data', (chunk: Buffer) => {
        if (!out.write(chunk)) {
          response.pause();
          out.once('drain', () => response.resume());
        }
      });
      response.on('end', () => finish({ answer: { trailers: response.trailers } }));
      response.on('aborted', () => finish({ error: new CliError(`the hub at ${client.server} ended the log before its end (the connection broke off)`) }));
      response.on('error', (error) => finish({ error: new CliError(`the connection to the hub at ${client.server} broke off: ${unreachableReason(error)}`) }));
    };
    const options = { method: 'GET', headers, agent: false as const };
    const request =
      url.protocol === 'https:'
        ? tlsRequest(url, { ...options, ...(connection.caPem === undefined ? {} : { ca: connection.caPem }) }, onResponse)
        : plainRequest(url, options, onResponse);
    // The reader went away (`| head`): stop quietly, the hub tells the device to stop.
    const onOutputError = (): void => {
      request.destroy();
      finish({ answer: { trailers: {} } });
    };
    out.on('error', onOutputError);
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error(`no answer within ${HEADERS_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' }));
    }, HEADERS_TIMEOUT_MS);
    request.on('error', (error) => {
      if (settled) return;
      const failure = tlsFailure(error);
      finish({ error: failure === undefined ? hubUnreachable(client.server, unreachableReason(error)) : untrustedHub(connection, failure) });
    });
    request.end();
  });
}

/** The error a failed answer's JSON body carries, as HubClient reads it. */
async function readError(response: IncomingMessage, status: number, client: HubClient, url: URL): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    body = undefined;
  }
  if (status === 401) return notAuthenticated(client.connection, isErrorBody(body) ? body.message : `HTTP ${status}`);
  if (isErrorBody(body)) return FlotillaError.fromBody(body);
  return new CliError(`the hub answered HTTP ${status} to GET ${url.pathname}`);
}
