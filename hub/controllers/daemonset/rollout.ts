/**
 * A DaemonSet's update strategy as the controller runs it: Kubernetes' defaults, and the
 * waves, threshold and rollback the staged rollout engine (controllers/rollout) is given. Pure.
 */
import type { DaemonSetUpdateStrategy, StagedRolloutParams } from '../../../shared/objects.js';

/** Kubernetes' DaemonSet defaults: one device at a time, no surge. */
export const DEFAULT_DAEMONSET_MAX_UNAVAILABLE = 1;
export const DEFAULT_DAEMONSET_MAX_SURGE = 0;

export interface DaemonStrategy {
  type: 'RollingUpdate' | 'OnDelete';
  maxSurge: number | string;
  maxUnavailable: number | string;
  /** The waves, threshold and rollback the engine runs; OnDelete replaces nothing itself, so it has none. */
  staged: StagedRolloutParams;
}

export function daemonStrategy(strategy: DaemonSetUpdateStrategy | undefined): DaemonStrategy {
  const type = strategy?.type ?? 'RollingUpdate';
  const staged: StagedRolloutParams = {};
  if (type === 'RollingUpdate') {
    if (strategy?.waves !== undefined) staged.waves = strategy.waves;
    if (strategy?.failureThreshold !== undefined) staged.failureThreshold = strategy.failureThreshold;
    if (strategy?.rollbackOnFailure !== undefined) staged.rollbackOnFailure = strategy.rollbackOnFailure;
  }
  return {
    type,
    maxSurge: strategy?.rollingUpdate?.maxSurge ?? DEFAULT_DAEMONSET_MAX_SURGE,
    maxUnavailable: strategy?.rollingUpdate?.maxUnavailable ?? DEFAULT_DAEMONSET_MAX_UNAVAILABLE,
    staged,
  };
}
