/** PATCH of a device's labels and of its cordon. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { cordonDevice, labelDevice } from '../device-edits.js';
import type { LabelPatch } from '../device-edits.js';
import { withLiveStatus } from '../device-live.js';
import type { LiveStatusLookup } from '../device-live.js';

const labelsBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    set: { type: 'object', additionalProperties: { type: 'string' } },
    remove: { type: 'array', items: { type: 'string' } },
    overwrite: { type: 'boolean' },
  },
} as const;

const cordonBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['unschedulable'],
  properties: { unschedulable: { type: 'boolean' } },
} as const;

export function registerDeviceRoutes(app: FastifyInstance, store: Store, liveOf: LiveStatusLookup): void {
  app.patch<{ Params: { name: string }; Body: LabelPatch }>(
    '/api/v1/devices/:name/labels',
    { schema: { body: labelsBodySchema } },
    async (request) => withLiveStatus(await labelDevice(store, request.params.name, request.body), liveOf),
  );

  app.patch<{ Params: { name: string }; Body: { unschedulable: boolean } }>(
    '/api/v1/devices/:name/cordon',
    { schema: { body: cordonBodySchema } },
    async (request) => withLiveStatus(await cordonDevice(store, request.params.name, request.body.unschedulable), liveOf),
  );
}
