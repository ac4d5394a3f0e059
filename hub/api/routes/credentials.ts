/**
 * Join tokens and access tokens: made here (the secret is in the answer once, and nowhere
 * after), listed and read through the generic read routes, revoked here. Admin only (auth.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlotillaError } from '../../../shared/errors.js';
import { ROLES, type AccessToken, type JoinToken, type Labels, type Role } from '../../../shared/objects.js';
import { createAccessToken } from '../../auth/access-token.js';
import { createJoinToken } from '../../auth/join-token.js';
import type { Store } from '../../store/store.js';
import { checkLabelPatch } from '../device-edits.js';

export interface CredentialRoutesContext {
  store: Store;
  /** `sha256:<hex>` of the hub's CA, which join tokens pin. */
  caFingerprint: string;
  /** The API URL devices enrol at; absent: the address the caller reached the hub at. */
  advertiseUrl?: string;
}

const joinTokenBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    ttlSeconds: { type: 'number' },
    uses: { type: 'integer' },
  },
} as const;

const accessTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: {
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    ttlSeconds: { type: 'number' },
  },
} as const;

/** `https://<the host the caller used>`: a hub behind one name for people is likely behind it for devices too. */
export function apiUrlSeenBy(request: FastifyRequest): string {
  return `https://${request.host}`;
}

export function registerCredentialRoutes(app: FastifyInstance, ctx: CredentialRoutesContext): void {
  const { store } = ctx;

  app.post<{ Body: { labels?: Labels; ttlSeconds?: number; uses?: number } }>('/api/v1/jointokens', { schema: { body: joinTokenBody } }, async (request, reply) => {
    const { labels, ttlSeconds, uses } = request.body;
    if (labels !== undefined) checkLabelPatch({ set: labels });
    const made = createJoinToken({
      hub: ctx.advertiseUrl ?? apiUrlSeenBy(request),
      caFingerprint: ctx.caFingerprint,
      ...(labels === undefined ? {} : { labels }),
      ...(ttlSeconds === undefined ? {} : { ttlMs: ttlSeconds * 1000 }),
      ...(uses === undefined ? {} : { uses }),
    });
    const object = await store.create<JoinToken>(made.object);
    request.log.info({ token: object.metadata.name, by: request.caller?.name }, 'join token created');
    return reply.code(201).send({ token: made.text, object });
  });

  app.post<{ Params: { id: string } }>('/api/v1/jointokens/:id/revoke', async (request) => {
    const token = await store.get('JoinToken', undefined, request.params.id);
    if (token === undefined) {
      throw new FlotillaError('NotFound', `join token ${request.params.id} not found`, { hint: 'list them with: flotilla token list' });
    }
    if (token.spec.revoked === true) return token;
    const revoked = await store.update<JoinToken>({ ...token, spec: { ...token.spec, revoked: true } });
    request.log.info({ token: token.metadata.name, by: request.caller?.name }, 'join token revoked');
    return revoked;
  });

  app.post<{ Body: { name: string; role: Role; ttlSeconds?: number } }>('/api/v1/accesstokens', { schema: { body: accessTokenBody } }, async (request, reply) => {
    const { name, role, ttlSeconds } = request.body;
    const made = createAccessToken({ name, role, ...(ttlSeconds === undefined ? {} : { ttlMs: ttlSeconds * 1000 }) });
    let object: AccessToken;
    try {
      object = await store.create(made.object);
    } catch (error) {
      if ((error as { code?: string }).code !== 'AlreadyExists') throw error;
      throw new FlotillaError('AlreadyExists', `an access token named ${name} exists`, { hint: `revoke it first (flotilla access revoke ${name}) or choose another name` });
    }
    request.log.info({ name, role, by: request.caller?.name }, 'access token granted');
    return reply.code(201).send({ token: made.text, object });
  });
}
