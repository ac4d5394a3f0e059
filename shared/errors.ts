/**
 * Errors that cross a boundary (API, CLI, MQTT ingest) carry a stable code, the field paths
 * at fault, and what to do next. The HTTP status comes from the code, never chosen ad hoc.
 */

export type ErrorCode =
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'PayloadTooLarge'
  | 'Unavailable'
  | 'Internal';

const HTTP_STATUS: Record<ErrorCode, number> = {
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  PayloadTooLarge: 413,
  Unavailable: 503,
  Internal: 500,
};

export interface FieldError {
  /** JSONPath-like location in the object, `spec.template.spec.containers[0].image`. */
  field: string;
  message: string;
}

/** The JSON body of every failed API call, in the shape of Kubernetes' `Status`. */
export interface ErrorBody {
  kind: 'Status';
  code: ErrorCode;
  message: string;
  details?: FieldError[];
  hint?: string;
}

export class FlotillaError extends Error {
  override readonly name = 'FlotillaError';
  readonly code: ErrorCode;
  readonly details: FieldError[];
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: FieldError[]; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
    this.hint = options.hint;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { kind: 'Status', code: this.code, message: this.message };
    if (this.details.length > 0) body.details = this.details;
    if (this.hint !== undefined) body.hint = this.hint;
    return body;
  }

  static fromBody(body: ErrorBody): FlotillaError {
    const options: { details?: FieldError[]; hint?: string } = {};
    if (body.details) options.details = body.details;
    if (body.hint !== undefined) options.hint = body.hint;
    return new FlotillaError(body.code, body.message, options);
  }
}

/** An invalid object: the message lists every field error so one round trip shows them all. */
export function invalid(what: string, details: FieldError[], hint?: string): FlotillaError {
  const lines = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  const options: { details: FieldError[]; hint?: string } = { details };
  if (hint !== undefined) options.hint = hint;
  return new FlotillaError('Invalid', `${what} is invalid: ${lines}`, options);
}

export function isFlotillaError(error: unknown): error is FlotillaError {
  return error instanceof FlotillaError;
}

export function hasCode(error: unknown, code: ErrorCode): error is FlotillaError {
  return isFlotillaError(error) && error.code === code;
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'Status' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
