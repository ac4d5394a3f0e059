/** `POST /api/v1/enroll` and `GET /api/v1/ca`: the two calls a device makes before it has an identity. */
import type { FastifyInstance } from 'fastify';
import { enrolDevice, type EnrolmentContext, type EnrolmentRequest } from '../../auth/enrolment.js';

const enrolBody = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'device', 'csr'],
  properties: {
    token: { type: 'string', maxLength: 1024 },
    device: { type: 'string', maxLength: 253 },
    csr: { type: 'string', maxLength: 16 * 1024 },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export interface EnrolRoutesContext extends EnrolmentContext {
  /** The broker's device listener port; the device reaches it at the host it enrolled through. */
  mqttTlsPort: number;
}

export function registerEnrolRoutes(app: FastifyInstance, ctx: EnrolRoutesContext): void {
  app.get('/api/v1/ca', async (_request, reply) => reply.type('application/x-pem-file').send(ctx.authority.certificatePem));

  app.post<{ Body: EnrolmentRequest }>('/api/v1/enroll', { schema: { body: enrolBody } }, async (request) => {
    const answer = await enrolDevice(ctx, request.body, `mqtts://${request.hostname}:${ctx.mqttTlsPort}`);
    request.log.info({ device: answer.device, from: request.ip }, 'device enrolled');
    return answer;
  });
}
