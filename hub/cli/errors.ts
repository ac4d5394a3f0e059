/**
 * How the CLI ends when something goes wrong: one readable block on stderr, never a stack
 * trace, and an exit code scripts can tell apart (1: the operation failed, 2: the command
 * line was wrong).
 */
import { CommanderError, type Command } from 'commander';
import { isFlotillaError } from '../../shared/errors.js';
import type { FlotillaError } from '../../shared/errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure with its own complete message, printed as `error: <message>`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
    this.hint = options.hint;
  }
}

/** A flag or argument that cannot be used as given. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, hint === undefined ? { exitCode: EXIT_USAGE } : { exitCode: EXIT_USAGE, hint });
}

/** Field details already spelled out in the message are not repeated below it. */
function detailLines(error: FlotillaError): string[] {
  return error.details
    .filter((detail) => !error.message.includes(detail.message))
    .map((detail) => `  ${detail.field}: ${detail.message}`);
}

export function formatError(error: unknown): string {
  if (isFlotillaError(error)) {
    const lines = [`error: ${error.message}`, ...detailLines(error)];
    if (error.hint !== undefined) lines.push(`hint: ${error.hint}`);
    return `${lines.join('\n')}\n`;
  }
  if (error instanceof CliError) {
    return error.hint === undefined ? `error: ${error.message}\n` : `error: ${error.message}\nhint: ${error.hint}\n`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message}\n`;
}

export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
}

export function writeErrorLine(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Parses the command line and runs the command; exits with a code scripts can tell apart
 * (usage, failure) and one line of error text, never a stack.
 */
export async function runCommandLine(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    }
    process.stderr.write(formatError(error));
    process.exit(exitCodeOf(error));
  }
}
