/** What every command that talks to the hub needs: the client, the namespace, the API paths. */
import { hasCode } from '../../shared/errors.js';
import { dnsLabelProblem } from '../../shared/labels.js';
import { KINDS, kindForPlural } from '../../shared/objects.js';
import type { Kind } from '../../shared/objects.js';
import { HubClient } from './client.js';
import { resolveConnection } from './config-file.js';
import type { Env } from './config-file.js';
import { CliError, formatError, usageError } from './errors.js';

export interface GlobalOptions {
  server?: string;
  namespace?: string;
  /** A context of the config file, instead of its current one. */
  context?: string;
  /** An access token, instead of the context's. */
  token?: string;
  /** The config file, instead of FLOTILLA_CONFIG or ~/.config/flotilla/config.yaml. */
  config?: string;
}

export interface CommandContext {
  client: HubClient;
  namespace: string;
}

/** The client for the hub the flags, the environment and the config file point at. */
export function commandContext(options: GlobalOptions, env: Env = process.env): CommandContext {
  const namespace = options.namespace ?? 'default';
  const problem = dnsLabelProblem(namespace);
  if (problem !== undefined) throw usageError(`invalid --namespace "${namespace}": ${problem}`);
  return { client: new HubClient(resolveConnection(options, env)), namespace };
}

/** `pods`, `pod`, `po` → Pod; anything else is an error listing the types. */
export function kindOfArgument(text: string, allowed: readonly Kind[] = Object.keys(KINDS) as Kind[]): Kind {
  const kind = kindForPlural(text);
  if (kind === undefined || !allowed.includes(kind)) {
    const known = allowed.map((k) => KINDS[k].plural).join(', ');
    throw new CliError(`unknown resource type "${text}"`, { hint: `use one of: ${known}` });
  }
  return kind;
}

/** The API path of a kind's list (all namespaces when `namespace` is undefined) or of one object. */
export function apiPath(kind: Kind, namespace: string | undefined, name?: string): string {
  const plural = KINDS[kind].plural;
  const base = KINDS[kind].namespaced && namespace !== undefined ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}` : `/api/v1/${plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function write(text: string): void {
  process.stdout.write(text);
}

export function writeError(text: string): void {
  process.stderr.write(text);
}

/**
 * Runs `act` for each name in turn. A name the hub does not know is reported on stderr and
 * fails the command (exit 1) once the others are done; any other error stops at once.
 */
export async function forEachName(names: readonly string[], act: (name: string) => Promise<void>): Promise<void> {
  for (const name of names) {
    try {
      await act(name);
    } catch (error) {
      if (!hasCode(error, 'NotFound')) throw error;
      writeError(formatError(error));
      process.exitCode = 1;
    }
  }
}
