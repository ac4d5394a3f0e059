/**
 * `GET /metrics`, the Prometheus text format. Like every read it needs a viewer's access
 * token: a scraper sends one as its bearer token (Prometheus' `authorization` setting).
 */
import type { FastifyInstance } from 'fastify';
import type { HubMetrics } from '../metrics.js';

export function registerMetricsRoute(app: FastifyInstance, metrics: Pick<HubMetrics, 'text' | 'contentType'>): void {
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
