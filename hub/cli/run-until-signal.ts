/**
 * Runs a long-lived process (the hub, an agent) until SIGINT or SIGTERM: the first signal
 * stops it cleanly and exits 0; a second one exits at once, for when stopping hangs.
 */
import { formatError, writeErrorLine } from './errors.js';

export interface Stoppable {
  stop(): Promise<void>;
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export async function runUntilSignal(start: () => Promise<Stoppable>): Promise<void> {
  let stopRequested = false;
  let running: Stoppable | undefined;

  const stop = (): void => {
    running?.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        writeErrorLine(formatError(error));
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) process.exit(SIGNAL_EXIT[signal] ?? 1);
    stopRequested = true;
    // A signal during start-up stops the process as soon as it has started.
    if (running !== undefined) stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  running = await start();
  if (stopRequested) stop();
}
