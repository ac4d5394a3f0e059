import { FlotillaError } from '../../shared/errors.js';

/** The `Invalid` FlotillaError that `fn` throws; anything else thrown, or nothing, fails the test. */
export function invalidError(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError && error.code === 'Invalid') return error;
    throw error;
  }
  throw new Error('expected an Invalid error');
}

/** The message of the `Invalid` FlotillaError that `fn` throws. */
export function invalidMessage(fn: () => unknown): string {
  return invalidError(fn).message;
}
