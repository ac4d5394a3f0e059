/** The event table, oldest first so the latest news is at the bottom of the terminal. */
import type { FlotillaEvent } from '../../../shared/objects.js';
import { age } from './age.js';
import { resourceName } from './names.js';
import type { TableOptions } from './pods.js';
import { renderTable } from './table.js';

/** A message that spans lines (a scheduling diagnosis) on one table row. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, '; ').trim();
}

export function byLastSeen(events: readonly FlotillaEvent[]): FlotillaEvent[] {
  return [...events].sort((a, b) => Date.parse(a.lastTimestamp) - Date.parse(b.lastTimestamp));
}

/** `3m (x5 over 10m)` for a repeated event, as kubectl describe. */
export function eventAge(event: FlotillaEvent, now: number): string {
  const last = age(event.lastTimestamp, now);
  return event.count > 1 ? `${last} (x${event.count} over ${age(event.firstTimestamp, now)})` : last;
}

export function eventTable(events: readonly FlotillaEvent[], options: TableOptions): string {
  const headers = ['LAST-SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  if (options.allNamespaces) headers.unshift('NAMESPACE');
  const rows = byLastSeen(events).map((event) => {
    const row = [
      age(event.lastTimestamp, options.now),
      event.type,
      event.reason,
      resourceName(event.involvedObject.kind, event.involvedObject.name),
      oneLine(event.message),
    ];
    if (options.allNamespaces) row.unshift(event.metadata.namespace ?? '');
    return row;
  });
  return renderTable(headers, rows);
}
