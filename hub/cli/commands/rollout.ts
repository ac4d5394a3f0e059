/**
 * `flotilla rollout status|pause|resume|undo|history` for Deployments and DaemonSets, in
 * kubectl's forms: `deployment/web`, `deploy web`, `ds/agent`, `daemonset.apps/agent`.
 *
 * `status` follows the rollout (polling the hub) and ends like kubectl's: exit 0 once it is
 * complete, 1 when it failed or was rolled back (saying what to do), 1 on `--timeout`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ControllerRevision, Kind } from '../../../shared/objects.js';
import { apiPath, commandContext, write } from '../context.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { resourceName } from '../format/names.js';
import { historyTable, revisionDetail } from '../format/rollout-history.js';
import { rolloutVerdict, type RolloutWorkload } from '../format/rollout-status.js';
import { parseTtl } from './token.js';

export type RolloutKind = Extract<Kind, 'Deployment' | 'DaemonSet'>;

export interface WorkloadReference {
  kind: RolloutKind;
  name: string;
}

const TYPES: Record<string, RolloutKind> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
};

const FORMS = 'deployment/<name>, deploy <name>, daemonset/<name> or ds <name>';

/** `deployment/web`, or `deploy` and `web` as two arguments. */
export function parseWorkload(first: string, second: string | undefined): WorkloadReference {
  const slash = first.indexOf('/');
  const [type, name] = slash >= 0 ? [first.slice(0, slash), first.slice(slash + 1)] : [first, second];
  if (slash >= 0 && second !== undefined) throw usageError(`give the workload once: "${first}" already names it, so "${second}" is one too many`, `write it as ${FORMS}`);
  const kind = TYPES[type.toLowerCase().replace(/\.apps$/, '')];
  if (kind === undefined) throw usageError(`"${type}" has no rollouts: only deployments and daemonsets do`, `write it as ${FORMS}`);
  if (name === undefined || name === '') throw usageError(`which ${kind.toLowerCase()}? the name is missing`, `write it as ${FORMS}`);
  return { kind, name };
}

function rolloutPath(context: CommandContext, workload: WorkloadReference, action: string): string {
  return `${apiPath(workload.kind, context.namespace, workload.name)}/rollout/${action}`;
}

export interface RolloutStatusOptions extends GlobalOptions {
  /** true (the default), or `--watch=false` for one look. */
  watch?: boolean | string;
  /** `0` (the default): wait for as long as it takes. */
  timeout?: string;
}

function watchWanted(value: boolean | string | undefined): boolean {
  if (value === undefined || value === true) return true;
  if (value === false) return false;
  const text = value.toLowerCase();
  if (['false', '0', 'no'].includes(text)) return false;
  if (['true', '1', 'yes'].includes(text)) return true;
  throw usageError(`invalid --watch "${value}": write --watch=true or --watch=false`);
}

function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined || /^0+[smhd]?$/.test(text.trim())) return undefined;
  return parseTtl(text, '--timeout') * 1000;
}

export interface WatchOptions {
  watch: boolean;
  /** Give up after this long; undefined: never. */
  timeoutMs?: number;
  intervalMs: number;
  /** The workload as the hub has it now. */
  read: () => Promise<RolloutWorkload>;
  print: (line: string) => void;
  now?: () => number;
}

/**
 * Prints where the rollout stands whenever that changes, until it has ended; resolves when it
 * completed, throws a CliError (exit 1) when it failed, was rolled back or timed out.
 */
export async function watchRollout(options: WatchOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const deadline = options.timeoutMs === undefined ? Infinity : now() + options.timeoutMs;
  let last: string | undefined;
  for (;;) {
    const workload = await options.read();
    const verdict = rolloutVerdict(workload);
    if (verdict.done && !verdict.ok) throw new CliError(verdict.line, verdict.hint === undefined ? {} : { hint: verdict.hint });
    if (verdict.line !== last) options.print(verdict.line);
    last = verdict.line;
    if (verdict.done || !options.watch) return;
    if (now() >= deadline) {
      const name = resourceName(workload.kind, workload.metadata.name);
      throw new CliError(`timed out waiting for the rollout of ${name}; where it stands: ${verdict.line}`, {
        hint: `it goes on without you: flotilla rollout status ${workload.kind.toLowerCase()}/${workload.metadata.name} follows it again`,
      });
    }
    await delay(Math.max(0, Math.min(options.intervalMs, deadline - now())));
  }
}

/** How often `status` asks the hub: a rollout's steps take seconds at the least. */
const STATUS_INTERVAL_MS = 1000;

export async function runRolloutStatus(first: string, second: string | undefined, options: RolloutStatusOptions): Promise<void> {
  const workload = parseWorkload(first, second);
  const watch = watchWanted(options.watch);
  const limit = timeoutMs(options.timeout);
  const context = commandContext(options);
  await watchRollout({
    watch,
    ...(limit === undefined ? {} : { timeoutMs: limit }),
    intervalMs: STATUS_INTERVAL_MS,
    read: () => context.client.get<RolloutWorkload>(apiPath(workload.kind, context.namespace, workload.name)),
    print: (line) => write(`${line}\n`),
  });
}

interface ActionResult {
  message: string;
}

export async function runRolloutAction(action: 'pause' | 'resume', first: string, second: string | undefined, options: GlobalOptions): Promise<void> {
  const workload = parseWorkload(first, second);
  const context = commandContext(options);
  const result = await context.client.post<ActionResult>(rolloutPath(context, workload, action), {});
  write(`${resourceName(workload.kind, workload.name)} ${result.message}\n`);
}

export interface UndoOptions extends GlobalOptions {
  toRevision?: string;
}

function revisionNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw usageError(`invalid ${flag} "${text}": a revision is a number, 1 or more`, 'flotilla rollout history lists them');
  return Number(text);
}

export async function runRolloutUndo(first: string, second: string | undefined, options: UndoOptions): Promise<void> {
  const workload = parseWorkload(first, second);
  const toRevision = revisionNumber(options.toRevision, '--to-revision');
  const context = commandContext(options);
  const result = await context.client.post<ActionResult>(rolloutPath(context, workload, 'undo'), toRevision === undefined ? {} : { toRevision });
  write(`${resourceName(workload.kind, workload.name)} ${result.message}\n`);
}

export interface HistoryCommandOptions extends GlobalOptions {
  revision?: string;
}

export async function runRolloutHistory(first: string, second: string | undefined, options: HistoryCommandOptions): Promise<void> {
  const workload = parseWorkload(first, second);
  const wanted = revisionNumber(options.revision, '--revision');
  const context = commandContext(options);
  const history = await context.client.get<{ revisions: ControllerRevision[]; current?: number }>(rolloutPath(context, workload, 'history'));
  if (wanted === undefined) {
    write(historyTable(history.revisions, { kind: workload.kind, name: workload.name, current: history.current, now: Date.now() }));
    return;
  }
  const revision = history.revisions.find((r) => r.revision === wanted);
  if (revision === undefined) {
    const known = history.revisions.map((r) => r.revision).join(', ');
    throw new CliError(`${resourceName(workload.kind, workload.name)} has no revision ${wanted}${known === '' ? '' : ` (it has ${known})`}`);
  }
  write(revisionDetail(revision, workload));
}
