#!/usr/bin/env node
/**
 * `flotilla`: kubectl's verbs for an edge fleet, plus `hub` and `agent` to run the processes.
 *
 * This file only declares the commands; each one's code is imported when it runs, so
 * `flotilla agent` on a small device never loads fastify, yaml or the hub.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_USAGE, exitCodeOf, formatError } from './errors.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** The command's own options merged with the global ones, and whether -n was typed. */
function optionsOf<T>(command: Command): T & { namespaceGiven: boolean } {
  const namespaceGiven = command.getOptionValueSourceWithGlobals('namespace') === 'cli';
  return { ...command.optsWithGlobals<T & object>(), namespaceGiven };
}

const program = new Command('flotilla')
  .description('Run containers on a fleet of edge devices: a hub schedules pods, an agent on each device runs them.')
  .exitOverride()
  .showHelpAfterError('(add --help for usage)')
  .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
  .option('--server <url>', "the hub's API (env FLOTILLA_SERVER, default http://localhost:7080)")
  .option('-n, --namespace <namespace>', 'namespace of namespaced objects', 'default');

program
  .command('get')
  .description('List objects, or show some by name')
  .argument('<type>', 'devices, pods, deployments or events (also singular and short: po, deploy, dev, ev)')
  .argument('[names...]', 'only these objects')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
  .option('-l, --selector <selector>', 'only objects whose labels match, as role=camera,site in (a,b)')
  .option('-A, --all-namespaces', 'list namespaced objects of every namespace')
  .option('-w, --watch', 'after listing, print objects again as they change (polls every 2 s)')
  .addHelpText(
    'after',
    examples(
      'flotilla get devices',
      'flotilla get devices -l role=camera,site=plant-3 -o wide',
      'flotilla get pods -A',
      'flotilla get pod web-5d8f9-x2k4q -o yaml',
      'flotilla get deployments -w',
      'flotilla get events -n default',
    ),
  )
  .action(async (type: string, names: string[], _options: unknown, command: Command) => {
    const { runGet } = await import('./commands/get.js');
    await runGet(type, names, optionsOf(command));
  });

program
  .command('describe')
  .description('Show one object in detail, with its events')
  .argument('<type>', 'pod, device or deployment')
  .argument('<name>', 'its name')
  .addHelpText(
    'after',
    examples('flotilla describe pod web-5d8f9-x2k4q', 'flotilla describe device cam-7', 'flotilla describe deployment web -n plant-3'),
  )
  .action(async (type: string, name: string, _options: unknown, command: Command) => {
    const { runDescribe } = await import('./commands/describe.js');
    await runDescribe(type, name, optionsOf(command));
  });

program
  .command('apply')
  .description('Create or update objects from YAML or JSON manifests; all of them or none')
  .requiredOption('-f, --filename <path>', 'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)', collect, [])
  .addHelpText(
    'after',
    examples('flotilla apply -f web.yaml', 'flotilla apply -f manifests/', 'cat web.json | flotilla apply -f -', 'flotilla apply -f a.yaml -f b.yaml -n plant-3'),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runApply } = await import('./commands/apply.js');
    await runApply(optionsOf(command));
  });

program
  .command('delete')
  .description('Delete objects named in manifests, or by type and name')
  .argument('[type]', 'pod, deployment or device')
  .argument('[names...]', 'the objects to delete')
  .option('-f, --filename <path>', 'delete what these manifests describe (repeatable)', collect, [])
  .option('--ignore-not-found', 'do not fail when an object does not exist')
  .addHelpText('after', examples('flotilla delete -f web.yaml', 'flotilla delete deployment web', 'flotilla delete pod a b -n plant-3'))
  .action(async (type: string | undefined, names: string[], _options: unknown, command: Command) => {
    const { runDelete } = await import('./commands/delete.js');
    await runDelete(type, names, optionsOf(command));
  });

program
  .command('label')
  .description("Set or remove a device's labels: key=value sets, key- removes")
  .argument('<type>', 'device')
  .argument('<name>', "the device's name")
  .argument('<changes...>', 'key=value or key-')
  .option('--overwrite', 'allow changing a label that already has another value')
  .addHelpText(
    'after',
    examples('flotilla label device cam-7 role=camera site=plant-3', 'flotilla label device cam-7 site-', 'flotilla label device cam-7 role=gateway --overwrite'),
  )
  .action(async (type: string, name: string, changes: string[], _options: unknown, command: Command) => {
    const { runLabel } = await import('./commands/label.js');
    await runLabel(type, name, changes, optionsOf(command));
  });

for (const [verb, unschedulable] of [
  ['cordon', true],
  ['uncordon', false],
] as const) {
  program
    .command(verb)
    .description(unschedulable ? 'Stop scheduling new pods onto a device (running pods stay)' : 'Schedule pods onto a device again')
    .argument('<type>', 'device')
    .argument('<name>', "the device's name")
    .addHelpText('after', examples(`flotilla ${verb} device cam-7`))
    .action(async (type: string, name: string, _options: unknown, command: Command) => {
      const { runCordon } = await import('./commands/cordon.js');
      await runCordon(type, name, unschedulable, optionsOf(command));
    });
}

program
  .command('hub')
  .description('Run the hub: API, store, MQTT broker, scheduler and controllers')
  .configureHelp({ showGlobalOptions: false })
  .option('--data-dir <dir>', 'where the store keeps its data (env FLOTILLA_DATA_DIR, default .flotilla/hub)')
  .option('--http-host <host>', 'API listen address (default 0.0.0.0)')
  .option('--port <port>', 'API port (env FLOTILLA_PORT, default 7080)')
  .option('--mqtt-host <host>', 'embedded broker listen address (default 0.0.0.0)')
  .option('--mqtt-port <port>', 'embedded broker port (env FLOTILLA_MQTT_PORT, default 1883)')
  .option('--mqtt-tls-port <port>', "embedded broker's device listener: TLS, a certificate per device from the hub's CA (env FLOTILLA_MQTT_TLS_PORT; off by default)")
  .option('--mqtt-url <url>', 'use this external broker instead of the embedded one (env FLOTILLA_MQTT_URL)')
  .option('--topic-prefix <prefix>', 'MQTT topic prefix (default flotilla/v1)')
  .option('--not-ready-after <seconds>', 'a device silent this long goes NotReady (default 30)')
  .option('--offline-after <seconds>', 'a device silent this long goes Offline (default 90)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env FLOTILLA_LOG_LEVEL, default info)')
  .addHelpText(
    'after',
    examples('flotilla hub', 'flotilla hub --data-dir /var/lib/flotilla --port 7080 --mqtt-port 1883', 'flotilla hub --mqtt-url mqtts://broker.example.com:8883'),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runHub } = await import('./commands/hub.js');
    await runHub(command.opts());
  });

program
  .command('agent')
  .description("Run a device's agent: it takes pods from the hub and runs them with the local container engine")
  .configureHelp({ showGlobalOptions: false })
  .option('--hub <url>', "the hub's MQTT broker (env FLOTILLA_HUB, default mqtt://localhost:1883)")
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
  .option('--topic-prefix <prefix>', 'MQTT topic prefix (default flotilla/v1)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env FLOTILLA_LOG_LEVEL, default info)')
  .addHelpText(
    'after',
    examples(
      'flotilla agent --hub mqtt://hub.local:1883 --labels role=camera,site=plant-3',
      'flotilla agent --name cam-7 --runtime-endpoint /run/podman/podman.sock',
      'flotilla agent --profile raspberry-pi-4 --hub mqtt://hub.local:1883',
    ),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runAgent } = await import('./commands/agent.js');
    await runAgent(command.opts());
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  process.stderr.write(formatError(error));
  process.exit(exitCodeOf(error));
}
