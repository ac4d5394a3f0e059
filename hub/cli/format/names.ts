/** How kubectl names objects in its messages: `pod/web-1`, `deployment.apps/web`. */
import { KINDS, isKind } from '../../../shared/objects.js';

/** `deployment.apps` for grouped kinds, `pod` for the core ones, `device` for Flotilla's own. */
export function resourceType(kind: string): string {
  const lower = kind.toLowerCase();
  if (!isKind(kind)) return lower;
  const group = KINDS[kind].apiVersion.includes('/') ? KINDS[kind].apiVersion.split('/')[0] : undefined;
  // Devices are Flotilla's own; kubectl's `device.flotilla.io/x` would only be noise.
  return group === undefined || group.includes('.') ? lower : `${lower}.${group}`;
}

export function resourceName(kind: string, name: string): string {
  return `${resourceType(kind)}/${name}`;
}
