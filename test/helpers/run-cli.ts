/**
 * The CLI from source, run as a user runs it: a process with arguments, environment and
 * standard input, whose exit code and output the test reads. Whatever config the person
 * running the tests has is kept out.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const ISOLATED_ENV: Record<string, string | undefined> = {
  FLOTILLA_CONFIG: join(tmpdir(), 'flotilla-test-no-such-config.yaml'),
  FLOTILLA_SERVER: undefined,
  FLOTILLA_TOKEN: undefined,
  FLOTILLA_CONTEXT: undefined,
};

/** `node --import tsx <entry> <args>` from the repository root; `entry` defaults to the `flotilla` CLI. */
export function runCli(args: readonly string[], options: { entry?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', options.entry ?? 'hub/cli/flotilla.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...ISOLATED_ENV, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
