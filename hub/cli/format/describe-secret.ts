/**
 * `flotilla describe secret`: its type and the keys it holds, never a value. The hub sends
 * every value empty; a size is shown only for a value the object actually carries (one read
 * from a file), so no line ever claims a size the hub did not give.
 */
import type { FlotillaEvent, Secret } from '../../../shared/objects.js';
import { Description, describeEvents, mapLines } from './describe-layout.js';

/** `N bytes` of a base64 value, or undefined for an empty (withheld) one. */
function decodedSize(value: string): string | undefined {
  if (value === '') return undefined;
  const bytes = Buffer.from(value, 'base64').length;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

export function describeSecret(secret: Secret, events: readonly FlotillaEvent[], now: number): string {
  const out = new Description();
  out.field('Name', secret.metadata.name);
  out.field('Namespace', secret.metadata.namespace ?? 'default');
  out.field('Labels', mapLines(secret.metadata.labels));
  out.field('Annotations', mapLines(secret.metadata.annotations));
  out.field('Type', secret.type ?? 'Opaque');
  const keys = Object.keys(secret.data ?? {}).sort((a, b) => a.localeCompare(b));
  if (keys.length === 0) {
    out.field('Data', '');
  } else {
    out.text('Data (values are never shown):').nested((inner) => {
      for (const key of keys) {
        const size = decodedSize(secret.data?.[key] ?? '');
        if (size === undefined) inner.text(key);
        else inner.field(key, size);
      }
    });
  }
  describeEvents(out, events, now);
  return out.render();
}
