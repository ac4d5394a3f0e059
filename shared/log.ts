import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per record on stderr, so stdout stays for what a command prints. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, base: { pid: undefined, hostname: undefined } }, pino.destination(2));
}
