/** POST /api/v1/apply: `{ items: [manifest, ...] }` → what happened to each. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { applyItems } from '../apply.js';

const applyBodySchema = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array' } },
} as const;

export function registerApplyRoute(app: FastifyInstance, store: Store): void {
  app.post<{ Body: { items: unknown[] } }>('/api/v1/apply', { schema: { body: applyBodySchema } }, async (request) => ({
    items: await applyItems(store, request.body.items),
  }));
}
