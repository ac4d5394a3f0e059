/**
 * `flotilla rollout pause|resume|undo|history` for Deployments and DaemonSets:
 *
 * - POST `/api/v1/namespaces/{ns}/{deployments|daemonsets}/{name}/rollout/pause`: sets `spec.paused`.
 * - POST `…/rollout/resume`: clears `spec.paused` and lets the rollout past the pause after
 *   the wave it stands at (the `flotilla.io/rollout-resume` annotation names revision and
 *   wave), so one resume serves both a paused rollout and a wave that waits for a person.
 * - POST `…/rollout/undo` `{toRevision?}`: writes that revision's template (default: the one
 *   before the current) into the workload, as `kubectl rollout undo` does; the controller
 *   rolls it out like any change, as the next revision.
 * - GET `…/rollout/history`: the workload's revisions, oldest first.
 *
 * Writes are conditional on the version read, and tried again from a fresh read when the
 * controller wrote the workload's status in between.
 */
import type { FastifyInstance } from 'fastify';
import { FlotillaError, hasCode } from '../../../shared/errors.js';
import { KINDS } from '../../../shared/objects.js';
import type { ControllerRevision, Kind, ObjectMeta } from '../../../shared/objects.js';
import { RESUME_ANNOTATION, resumeValue, ROLLED_BACK_FROM_ANNOTATION } from '../../controllers/rollout/annotations.js';
import { listRevisions, revisionHash, templateHash, type RolloutWorkload } from '../../controllers/rollout/revisions.js';
import type { Store } from '../../store/store.js';
import { namespacedResource, objectName } from '../resources.js';

const ROLLOUT_KINDS: readonly Kind[] = ['Deployment', 'DaemonSet'];

/** Attempts at a write that a status write of the controller keeps getting in front of. */
const WRITE_ATTEMPTS = 5;

export interface RolloutActionResult {
  /** The workload as stored afterwards. */
  object: RolloutWorkload;
  /** What happened, for people: `paused`, `rolled back to revision 2`. */
  message: string;
  changed: boolean;
}

export interface RolloutHistory {
  revisions: ControllerRevision[];
  /** The revision the workload's template is, when it has one yet. */
  current?: number;
}

/** What an action makes of the workload: the changed object, or undefined for no change. */
type Change = { next: RolloutWorkload | undefined; message: string };

export function pauseChange(workload: RolloutWorkload): Change {
  if (workload.spec.paused === true) return { next: undefined, message: 'already paused' };
  return { next: { ...workload, spec: { ...workload.spec, paused: true } } as RolloutWorkload, message: 'paused' };
}

export function resumeChange(workload: RolloutWorkload): Change {
  const { paused: _paused, ...spec } = workload.spec;
  const rollout = workload.status?.rollout;
  const annotations = { ...workload.metadata.annotations };
  if (rollout !== undefined) annotations[RESUME_ANNOTATION] = resumeValue(rollout.revision, rollout.wave);
  const waiting = workload.spec.paused === true || rollout?.phase === 'Paused';
  const next = { ...workload, metadata: { ...workload.metadata, annotations }, spec } as RolloutWorkload;
  if (!waiting) return { next: undefined, message: 'not paused' };
  return { next, message: 'resumed' };
}

/** The revision the workload's template is, among its revisions. */
function currentOf(workload: RolloutWorkload, revisions: readonly ControllerRevision[]): ControllerRevision | undefined {
  const hash = templateHash(workload.spec.template);
  return revisions.find((revision) => revisionHash(revision) === hash);
}

export function undoChange(workload: RolloutWorkload, revisions: readonly ControllerRevision[], toRevision: number | undefined): Change {
  const name = objectName(workload.kind as Kind, workload.metadata.namespace, workload.metadata.name);
  const current = currentOf(workload, revisions);
  const history = `see them with: flotilla rollout history ${workload.kind.toLowerCase()}/${workload.metadata.name}`;
  let target: ControllerRevision | undefined;
  if (toRevision === undefined) {
    const below = revisions.filter((revision) => current === undefined || revision.revision < current.revision);
    target = below.at(-1);
    if (target === undefined) throw new FlotillaError('NotFound', `${name} has no revision before the current one to go back to`, { hint: history });
  } else {
    target = revisions.find((revision) => revision.revision === toRevision);
    if (target === undefined) {
      const known = revisions.map((revision) => revision.revision).join(', ');
      throw new FlotillaError('NotFound', `${name} has no revision ${toRevision}${known === '' ? '' : ` (it has ${known})`}`, { hint: history });
    }
  }
  if (current !== undefined && revisionHash(target) === revisionHash(current)) {
    return { next: undefined, message: `skipped rollback: the template already is revision ${target.revision}` };
  }
  const annotations = { ...workload.metadata.annotations };
  // A person chose this template: it rolls out as an update, in waves, not as an automatic rollback.
  delete annotations[ROLLED_BACK_FROM_ANNOTATION];
  delete annotations[RESUME_ANNOTATION];
  const { annotations: _before, ...rest } = workload.metadata;
  const metadata: ObjectMeta = Object.keys(annotations).length === 0 ? rest : { ...rest, annotations };
  const spec = { ...workload.spec, template: structuredClone(target.data.template) };
  return { next: { ...workload, metadata, spec } as RolloutWorkload, message: `rolled back to revision ${target.revision}` };
}

function rolloutKind(namespace: string, plural: string): Kind {
  const { kind } = namespacedResource(namespace, plural);
  if (!ROLLOUT_KINDS.includes(kind)) {
    throw new FlotillaError('BadRequest', `${KINDS[kind].plural} have no rollouts: only deployments and daemonsets do`, {
      hint: 'flotilla rollout status deployment/<name>, or daemonset/<name>',
    });
  }
  return kind;
}

async function readWorkload(store: Store, kind: Kind, namespace: string, name: string): Promise<RolloutWorkload> {
  const object = (await store.get(kind, namespace, name)) as RolloutWorkload | undefined;
  if (object === undefined) {
    throw new FlotillaError('NotFound', `${objectName(kind, namespace, name)} not found`, {
      hint: `list them with: flotilla get ${KINDS[kind].plural} -n ${namespace}`,
    });
  }
  return object;
}

/** Reads, changes and writes, again from a fresh read when the controller got in between. */
async function act(
  store: Store,
  kind: Kind,
  namespace: string,
  name: string,
  change: (workload: RolloutWorkload) => Change | Promise<Change>,
): Promise<RolloutActionResult> {
  for (let attempt = 1; ; attempt++) {
    const workload = await readWorkload(store, kind, namespace, name);
    const { next, message } = await change(workload);
    if (next === undefined) return { object: workload, message, changed: false };
    try {
      return { object: await store.update(next), message, changed: true };
    } catch (error) {
      if (!hasCode(error, 'Conflict') || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

const undoBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { toRevision: { type: 'integer', minimum: 1 } },
} as const;

interface Params {
  namespace: string;
  plural: string;
  name: string;
}

export function registerRolloutRoutes(app: FastifyInstance, store: Store): void {
  const base = '/api/v1/namespaces/:namespace/:plural/:name/rollout';
  app.post<{ Params: Params }>(`${base}/pause`, async (request) => {
    const { namespace, plural, name } = request.params;
    return act(store, rolloutKind(namespace, plural), namespace, name, pauseChange);
  });
  app.post<{ Params: Params }>(`${base}/resume`, async (request) => {
    const { namespace, plural, name } = request.params;
    return act(store, rolloutKind(namespace, plural), namespace, name, resumeChange);
  });
  app.post<{ Params: Params; Body: { toRevision?: number } | undefined }>(`${base}/undo`, { schema: { body: undoBodySchema } }, async (request) => {
    const { namespace, plural, name } = request.params;
    const toRevision = request.body?.toRevision;
    return act(store, rolloutKind(namespace, plural), namespace, name, async (workload) => undoChange(workload, await listRevisions(store, workload), toRevision));
  });
  app.get<{ Params: Params }>(`${base}/history`, async (request): Promise<RolloutHistory> => {
    const { namespace, plural, name } = request.params;
    const workload = await readWorkload(store, rolloutKind(namespace, plural), namespace, name);
    const revisions = await listRevisions(store, workload);
    const current = currentOf(workload, revisions);
    return current === undefined ? { revisions } : { revisions, current: current.revision };
  });
}
