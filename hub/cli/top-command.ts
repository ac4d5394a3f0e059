/** The `top` command's flags, declared apart so the CLI's main file only registers it. */
import type { Command } from 'commander';

const EXAMPLES = [
  'flotilla top devices',
  'flotilla top devices -l site=plant-3 --sort-by memory',
  'flotilla top pods',
  'flotilla top pods -A --sort-by cpu',
  'flotilla top pods -n plant-3 -l app=web --containers',
];

export function declareTopCommand(program: Command): Command {
  return program
    .command('top')
    .description("Show the CPU and memory devices or pods use now, from their last heartbeat or pod stats report")
    .argument('<type>', 'devices or pods (also dev, po)')
    .option('-l, --selector <selector>', 'only devices or pods whose labels match, as role=camera,site in (a,b)')
    .option('-A, --all-namespaces', 'pods of every namespace')
    .option('--containers', 'pods: one row per container')
    .option('--sort-by <figure>', 'cpu or memory, the busiest first (default: by name)')
    .addHelpText('after', `\nExamples:\n${EXAMPLES.map((line) => `  ${line}`).join('\n')}\n`)
    .action(async (type: string, _options: unknown, command: Command) => {
      const { runTop } = await import('./commands/top.js');
      await runTop(type, command.optsWithGlobals());
    });
}
