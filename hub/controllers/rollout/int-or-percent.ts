/**
 * Counts written as a number or a share (`3`, `"25%"`), resolved against a whole as
 * Kubernetes' GetScaledValueFromIntOrPercent does: the caller says which way a share rounds
 * (a surge rounds up, so 25% of 2 pods is 1; an unavailability rounds down, so it is 0).
 */
import type { IntOrPercent } from '../../../shared/objects.js';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** The share a `"25%"` names (25), or undefined for a plain count. */
export function percentOf(value: IntOrPercent): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = PERCENT.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * `value` of `total`: a count as it is, a share rounded as asked. Validation has refused
 * anything else; a string that is not a share counts as 0 rather than throwing in a controller.
 */
export function scaledValue(value: IntOrPercent | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const percent = percentOf(value);
  if (percent === undefined) return 0;
  const exact = (percent * total) / 100;
  // 10% of 30 is 3 exactly, though floating point says 3.0000000000000004.
  const rounded = Math.round(exact * 1e9) / 1e9;
  return roundUp ? Math.ceil(rounded) : Math.floor(rounded);
}
