/** The `logs` command's flags, declared apart so the CLI's main file only registers it. */
import type { Command } from 'commander';

const EXAMPLES = [
  'flotilla logs web-5d8f9-x2k4q',
  'flotilla logs web-5d8f9-x2k4q -f',
  'flotilla logs web-5d8f9-x2k4q -c sidecar --tail 20',
  'flotilla logs cam-agent --since 10m --timestamps -n plant-3',
];

export function declareLogsCommand(program: Command): Command {
  return program
    .command('logs')
    .description("Print a pod's container log, fetched from its device over MQTT (devices behind NAT included)")
    .argument('<pod>', "the pod's name")
    .option('-c, --container <name>', 'the container (needed when the pod has more than one)')
    .option('-f, --follow', 'keep printing what the container writes, until interrupted')
    .option('--tail <lines>', 'only the last this many lines (-1: all)', '-1')
    .option('--since <duration>', 'only what was written in the last 30s, 5m, 2h, 1h30m...')
    .option('--timestamps', "start each line with the engine's timestamp")
    .addHelpText('after', `\nExamples:\n${EXAMPLES.map((line) => `  ${line}`).join('\n')}\n`)
    .action(async (pod: string, _options: unknown, command: Command) => {
      const { runLogs } = await import('./commands/logs.js');
      await runLogs(pod, command.optsWithGlobals());
    });
}
