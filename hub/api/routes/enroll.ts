/**
 * `GET /api/v1/ca` and `POST /api/v1/enroll`, the two calls a device makes before it has an
 * identity, and `POST /api/v1/renew`, made with that identity (its certificate, over mutual TLS)
 * before the certificate runs out.
 */
import type { FastifyInstance } from 'fastify';
import { enrolDevice, renewDeviceCertificate, type EnrolmentContext, type EnrolmentRequest } from '../../auth/enrolment.js';
import { peerCertificate } from '../../broker/identity.js';

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

const renewBody = {
  type: 'object',
  additionalProperties: false,
  required: ['csr'],
  properties: { csr: { type: 'string', maxLength: 16 * 1024 } },
} as const;

export interface EnrolRoutesContext extends EnrolmentContext {
  /** The broker an enrolled device connects to, given the host it reached the API at. */
  deviceBrokerUrl(apiHost: string): string;
}

export function registerEnrolRoutes(app: FastifyInstance, ctx: EnrolRoutesContext): void {
  app.get('/api/v1/ca', async (_request, reply) => reply.type('application/x-pem-file').send(ctx.authority.certificatePem));

  app.post<{ Body: EnrolmentRequest }>('/api/v1/enroll', { schema: { body: enrolBody } }, async (request) => {
    const answer = await enrolDevice(ctx, request.body, ctx.deviceBrokerUrl(request.hostname));
    request.log.info({ device: answer.device, from: request.ip }, 'device enrolled');
    return answer;
  });

  app.post<{ Body: { csr: string } }>('/api/v1/renew', { schema: { body: renewBody } }, async (request) => {
    const answer = await renewDeviceCertificate(ctx, peerCertificate(request.raw.socket), request.body.csr);
    request.log.info({ device: answer.device }, 'device certificate renewed');
    return answer;
  });
}
