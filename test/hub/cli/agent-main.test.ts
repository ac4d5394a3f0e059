/** The two programs that run an agent, `flotilla agent` and the bundle's `flotilla-agent`, declare one set of flags. */
import t from 'tap';
import { runCli, type CliRun } from '../../helpers/run-cli.js';

function run(entry: string, args: string[]): Promise<CliRun> {
  return runCli(args, { entry });
}

/** The long flags a help text lists, in order. */
function flags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((match) => match[1] ?? '').filter((flag) => flag !== '--help' && flag !== '--version');
}

t.test('flotilla-agent takes the same flags as flotilla agent, the join token and CA file among them', async (t) => {
  const bundled = await run('hub/cli/agent-main.ts', ['--help']);
  const cli = await run('hub/cli/flotilla.ts', ['agent', '--help']);
  t.equal(bundled.code, 0);
  t.match(bundled.stdout, /^Usage: flotilla-agent \[options\]/);
  t.same(flags(bundled.stdout), flags(cli.stdout));
  for (const flag of ['--hub', '--token', '--ca-file', '--profile']) t.ok(flags(bundled.stdout).includes(flag), flag);
  t.match(bundled.stdout, /--token <join token>\s+join\s+the\s+fleet\s+with\s+this\s+token\s+on\s+first\s+start\s+\(env\s+FLOTILLA_JOIN_TOKEN\)/);
  t.match(bundled.stdout, /flotilla-agent --profile raspberry-pi-4 --token/, 'its examples name it');
});

t.test('flotilla-agent --version prints the agent version', async (t) => {
  const result = await run('hub/cli/agent-main.ts', ['--version']);
  t.equal(result.code, 0);
  t.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test('flotilla-agent refuses an unknown flag as a usage error', async (t) => {
  const result = await run('hub/cli/agent-main.ts', ['--hubb', 'x']);
  t.equal(result.code, 2);
  t.match(result.stderr, /unknown option '--hubb'/);
});
