/**
 * aedes' in-memory persistence, with retained messages also found by exact topic.
 *
 * On every SUBSCRIBE, the stock persistence tests each retained message against the filter:
 * with one retained desired state per device, a fleet of N devices connecting costs N × N
 * topic matches, minutes of broker time at 10,000 devices. An agent subscribes to exact topics
 * (its own desired state), so those are answered from a Map; a filter with a wildcard still
 * goes to the stock lookup.
 */
import { Readable } from 'node:stream';
import aedesPersistence, { type AedesMemoryPersistence } from 'aedes-persistence';

// The package is CommonJS and exports the factory itself; its typings declare it as `default`.
const memoryPersistence = aedesPersistence as unknown as () => AedesMemoryPersistence;

interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
}

/** The two methods this wraps, in the form aedes calls them (promise when no callback). */
interface RetainedStore {
  storeRetained(packet: RetainedPacket, callback?: (error?: Error | null) => void): Promise<void> | void;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

export function exactRetainedPersistence(): AedesMemoryPersistence {
  const persistence = memoryPersistence();
  const store = persistence as unknown as RetainedStore;
  const byTopic = new Map<string, RetainedPacket>();
  const storeRetained = store.storeRetained.bind(persistence);
  const byFilters = store.createRetainedStreamCombi.bind(persistence);

  store.storeRetained = (packet, callback) => {
    // An empty payload clears the retained message, as in the stock store.
    if (packet.payload.length === 0) byTopic.delete(packet.topic);
    else byTopic.set(packet.topic, { ...packet });
    return storeRetained(packet, callback);
  };
  store.createRetainedStreamCombi = (patterns) => {
    const wildcards = patterns.filter(hasWildcard);
    const exact = patterns.filter((p) => !hasWildcard(p)).flatMap((topic) => byTopic.get(topic) ?? []);
    if (wildcards.length === 0) return Readable.from(exact);
    return Readable.from(
      (async function* () {
        yield* exact;
        yield* byFilters(wildcards);
      })(),
    );
  };
  return persistence;
}
