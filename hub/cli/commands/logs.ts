/**
 * `flotilla logs <pod> [-c container] [-f] [--tail N] [--since 5m] [--timestamps]`: the hub
 * fetches the log from the pod's device over MQTT and streams it; this prints it as it comes.
 * An error after the log began (the device went silent mid-follow) arrives as a trailer and
 * ends the command with exit 1, after everything that came before it was printed.
 */
import type { Writable } from 'node:stream';
import { FlotillaError, isErrorBody } from '../../../shared/errors.js';
import type { Query } from '../client.js';
import { apiPath, commandContext } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { streamGet } from '../stream-request.js';
import { parseTtl } from './token.js';

export interface LogsOptions extends GlobalOptions {
  container?: string;
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
}

/** The trailer that carries an error after the log began (hub/api/routes/logs.ts). */
const ERROR_TRAILER = 'x-flotilla-error';

/** `--tail N`: a whole number of lines, or -1 for the whole log (undefined). */
export function parseTail(text: string): number | undefined {
  const value = text.trim();
  if (value === '-1') return undefined;
  const lines = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(lines)) {
    throw usageError(`invalid --tail "${text}": must be a whole number of lines, or -1 for the whole log`);
  }
  return lines;
}

/** The log endpoint's query for these flags. */
export function logsQuery(options: LogsOptions): Query {
  const tail = options.tail === undefined ? undefined : parseTail(options.tail);
  return {
    container: options.container,
    follow: options.follow ? 'true' : undefined,
    tailLines: tail === undefined ? undefined : String(tail),
    sinceSeconds: options.since === undefined ? undefined : String(parseTtl(options.since, '--since')),
    timestamps: options.timestamps ? 'true' : undefined,
  };
}

/** The error a trailer carries: the hub's ErrorBody, URI-encoded JSON. */
export function trailerError(value: string): Error {
  try {
    const body: unknown = JSON.parse(decodeURIComponent(value));
    if (isErrorBody(body)) return FlotillaError.fromBody(body);
  } catch {
    // Not the hub's form: say what came.
  }
  return new CliError(`the log ended with an error: ${value}`);
}

export async function runLogs(pod: string, options: LogsOptions, out: Writable = process.stdout): Promise<void> {
  const query = logsQuery(options);
  const context = commandContext(options);
  const answer = await streamGet(context.client, `${apiPath('Pod', context.namespace, pod)}/log`, query, out);
  const trailer = answer.trailers[ERROR_TRAILER];
  if (typeof trailer === 'string' && trailer !== '') throw trailerError(trailer);
}
