/** What every command that talks to the hub needs: the client, the namespace, the API paths. */
import { dnsLabelProblem } from '../../shared/labels.js';
import { KINDS, kindForPlural } from '../../shared/objects.js';
import type { Kind } from '../../shared/objects.js';
import { HubClient, serverUrl } from './client.js';
import { CliError, usageError } from './errors.js';

export interface GlobalOptions {
  server?: string;
  namespace?: string;
}

export interface CommandContext {
  client: HubClient;
  namespace: string;
}

export function commandContext(options: GlobalOptions): CommandContext {
  const namespace = options.namespace ?? 'default';
  const problem = dnsLabelProblem(namespace);
  if (problem !== undefined) throw usageError(`invalid --namespace "${namespace}": ${problem}`);
  return { client: new HubClient(serverUrl(options.server)), namespace };
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
