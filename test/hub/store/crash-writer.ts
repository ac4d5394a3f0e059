/**
 * A program that writes to a store until it is killed: pods, 16 writes in flight at a time,
 * one line `<name> <resourceVersion>` on stdout for each write the store acknowledged. The
 * crash tests kill it with SIGKILL and check that every line they read is on disk.
 *
 * Usage: crash-writer.ts <dataDir> <sync: true|false>
 */
import { createLevelStore } from '../../../hub/store/level-store.js';
import type { Pod } from '../../../shared/objects.js';

const [dataDir, sync] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: crash-writer.ts <dataDir> <sync: true|false>');
const store = await createLevelStore({ dataDir, sync: sync !== 'false' });

let next = 0;
async function writeForever(): Promise<never> {
  for (;;) {
    const name = `pod-${next++}`;
    const created = await store.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { containers: [{ name: 'main', image: 'busybox:1', command: ['sleep', '3600'] }] },
    });
    process.stdout.write(`${name} ${created.metadata.resourceVersion}\n`);
  }
}

await Promise.all(Array.from({ length: 16 }, writeForever));
