/**
 * Every failed request answers with an `ErrorBody`. Errors raised by our own code are
 * FlotillaErrors and carry their status; fastify's own (schema, body parsing, size) are
 * translated here so a client never has to know fastify's codes.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FlotillaError, isFlotillaError } from '../../shared/errors.js';
import type { FieldError } from '../../shared/errors.js';
import { resourceHint } from './resources.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Ajv's `/items/0/kind` as the field path people read: `items[0].kind`. */
export function fieldPathOfPointer(pointer: string): string {
  let path = '';
  for (const segment of pointer.split('/').slice(1)) {
    const part = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path += path === '' ? part : `.${part}`;
  }
  return path;
}

interface SchemaProblem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function schemaDetails(problems: SchemaProblem[]): FieldError[] {
  return problems.map((problem) => {
    let field = fieldPathOfPointer(problem.instancePath ?? '');
    const missing = problem.params?.['missingProperty'];
    const extra = problem.params?.['additionalProperty'];
    const named = typeof missing === 'string' ? missing : typeof extra === 'string' ? extra : undefined;
    if (named !== undefined) field = field === '' ? named : `${field}.${named}`;
    const message = typeof extra === 'string' ? 'is not a known field' : (problem.message ?? 'is invalid');
    return { field: field === '' ? '(body)' : field, message };
  });
}

/** The FlotillaError a failed request answers with. */
export function toFlotillaError(error: unknown): FlotillaError {
  if (isFlotillaError(error)) return error;
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) {
    const details = schemaDetails(fastifyError.validation as SchemaProblem[]);
    const where = fastifyError.validationContext ?? 'request';
    const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
    return new FlotillaError('BadRequest', `invalid ${where}: ${summary}`, { details });
  }
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FlotillaError('PayloadTooLarge', `the request body is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB`, {
        hint: 'apply the manifests in several smaller batches',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FlotillaError('BadRequest', 'unsupported Content-Type: the API takes application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FlotillaError('BadRequest', `the request body is not valid JSON: ${fastifyError.message}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FlotillaError('BadRequest', 'the request body is empty but Content-Type is application/json');
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof fastifyError?.message === 'string') {
    return new FlotillaError('BadRequest', fastifyError.message);
  }
  return new FlotillaError('Internal', 'internal error in the hub', { hint: "the hub's log has the details" });
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const flotillaError = toFlotillaError(error);
  if (flotillaError.code === 'Internal') {
    request.log.error({ err: error, method: request.method, url: request.url }, 'request failed');
  }
  return reply.status(flotillaError.httpStatus).send(flotillaError.toBody());
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = new FlotillaError('NotFound', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`, {
    hint: resourceHint(),
  });
  return reply.status(error.httpStatus).send(error.toBody());
}
