/**
 * The `agent` command's flags, declared once for the two programs that run an agent: the
 * `flotilla` CLI and the one-file `flotilla-agent` of an install bundle. Its code is imported
 * when it runs, so declaring it loads nothing of the agent.
 */
import type { Command } from 'commander';

const EXAMPLE_ARGUMENTS = [
  '--hub mqtt://hub.local:1883 --labels role=camera,site=plant-3',
  '--name cam-7 --runtime-endpoint /run/podman/podman.sock',
  '--profile raspberry-pi-4 --token flotilla1.eyJodWIi...',
];

/** Adds `agent` to `program` and returns it. */
export function declareAgentCommand(program: Command): Command {
  return configureAgentCommand(
    program.command('agent').description("Run a device's agent: it takes pods from the hub and runs them with the local container engine"),
  );
}

/** Gives `command` the agent's flags and action: a subcommand, or a program that is the agent alone. */
export function configureAgentCommand(command: Command): Command {
  const invocation = command.parent ? `${command.parent.name()} ${command.name()}` : command.name();
  const examples = EXAMPLE_ARGUMENTS.map((args) => `  ${invocation} ${args}`).join('\n');
  return command
    .configureHelp({ showGlobalOptions: false })
    .option('--hub <url>', "the hub's MQTT broker (env FLOTILLA_HUB, default mqtt://localhost:1883; once enrolled, the broker the hub named)")
    .option('--token <join token>', 'join the fleet with this token on first start (env FLOTILLA_JOIN_TOKEN)')
    .option('--ca-file <pem>', "the hub's CA certificate, checked against the fingerprint the join token pins (env FLOTILLA_CA_FILE)")
    .option('--name <name>', 'device name, a DNS label (env FLOTILLA_DEVICE_NAME, default: the host name)')
    .option('--profile <name|file.json>', "firmware profile: the board family's engine, socket, state directory, labels and reserves (env FLOTILLA_PROFILE)")
    .option('--labels <labels>', 'labels the device announces, as role=camera,site=a (env FLOTILLA_LABELS)')
    .option('--runtime <name>', 'container runtime adapter (default docker: Docker, Podman or balenaEngine)')
    .option('--runtime-endpoint <path>', 'engine API socket (env FLOTILLA_RUNTIME_ENDPOINT, default: found automatically)')
    .option('--state-dir <dir>', 'local state that survives reboots (env FLOTILLA_STATE_DIR, default .flotilla/agent-<name>)')
    .option('--heartbeat <seconds>', 'seconds between heartbeats (default 10)')
    .option('--backoff <seconds>', 'first restart delay of a crashing container (default 10)')
    .option('--max-backoff <seconds>', 'longest restart delay (default 300)')
    .option('--resync <seconds>', 'seconds between full checks of the containers (default 30)')
    .option('--pod-stats-interval <seconds>', "seconds between reports of each pod's CPU and memory, for flotilla top pods (env FLOTILLA_POD_STATS_INTERVAL, default 30)")
    .option('--health-thresholds <thresholds>', "where the device's pressure conditions begin, over its profile's: memory=90,disk=85,temperature=75 (percent in use, °C) (env FLOTILLA_HEALTH_THRESHOLDS)")
    .option('--topic-prefix <prefix>', 'MQTT topic prefix (default flotilla/v1)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env FLOTILLA_LOG_LEVEL, default info)')
    .addHelpText('after', `\nExamples:\n${examples}\n`)
    .action(async (_options: unknown, command: Command) => {
      const { runAgent } = await import('./commands/agent.js');
      await runAgent(command.opts());
    });
}
