/**
 * A Mosquitto broker of the test's own, on a free loopback port with its config in a temp
 * directory, that can be restarted on the same port. It keeps nothing across a restart
 * (no persistence): it comes back empty, as a broker that crashed or was replaced does.
 */
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Child } from '../../scripts/bench/processes.js';
import { freePort, tempDir, waitFor } from '../helpers/fleet.js';

export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  readonly process: Child;
  /** SIGTERM, as a service manager stops it. */
  stop(): Promise<void>;
  /** Starts it again on the same port, once stopped. */
  start(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startMosquitto(t: Test): Promise<MosquittoBroker> {
  const port = await freePort();
  const config = join(await tempDir(t, 'mosquitto'), 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // A few hundred devices' QoS 1 messages queue up while the hub reconnects.
      'max_queued_messages 10000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let child: Child | undefined;
  const start = async () => {
    const started = new Child('mosquitto', ['-c', config]);
    child = started;
    await waitFor(`Mosquitto on port ${port}`, async () => {
      if (!started.running) throw new Error(`mosquitto exited: ${started.output}`);
      return answers(port);
    }, 10_000, 50);
  };
  await start();
  const broker: MosquittoBroker = {
    url: `mqtt://127.0.0.1:${port}`,
    get process() {
      return child as Child;
    },
    stop: async () => child?.stop(),
    start,
  };
  t.teardown(() => broker.stop());
  return broker;
}
