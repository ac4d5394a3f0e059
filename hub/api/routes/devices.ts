/** PATCH of a device's labels and of its cordon. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { cordonDevice, labelDevice } from '../device-edits.js';
import type { LabelPatch } from '../device-edits.js';
import { withUsage } from '../device-usage.js';
import type { UsageLookup } from '../device-usage.js';

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

export function registerDeviceRoutes(app: FastifyInstance, store: Store, usageOf: UsageLookup): void {
  app.patch<{ Params: { name: string }; Body: LabelPatch }>(
    '/api/v1/devices/:name/labels',
    { schema: { body: labelsBodySchema } },
    async (request) => withUsage(await labelDevice(store, request.params.name, request.body), usageOf),
  );

  app.patch<{ Params: { name: string }; Body: { unschedulable: boolean } }>(
    '/api/v1/devices/:name/cordon',
    { schema: { body: cordonBodySchema } },
    async (request) => withUsage(await cordonDevice(store, request.params.name, request.body.unschedulable), usageOf),
  );
}
