#!/usr/bin/env node
/**
 * `flotilla`: kubectl's verbs for an edge fleet, plus `hub` and `agent` to run the processes.
 *
 * This file only declares the commands; each one's code is imported when it runs, so
 * `flotilla agent` on a small device never loads fastify, yaml or the hub.
 */
import { Command, Option } from 'commander';
import { declareAgentCommand } from './agent-command.js';
import { declareLogsCommand } from './logs-command.js';
import { declareTopCommand } from './top-command.js';
import { runCommandLine } from './errors.js';

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
  .option('--server <url>', "the hub's API (env FLOTILLA_SERVER, else the context's, default https://localhost:7080)")
  .option('-n, --namespace <namespace>', 'namespace of namespaced objects', 'default')
  .option('--context <name>', 'use this context of the config file, not its current one (env FLOTILLA_CONTEXT)')
  .option('--token <token>', "an access token to send, not the context's (env FLOTILLA_TOKEN)")
  .option('--config <file>', 'the config file (env FLOTILLA_CONFIG, default ~/.config/flotilla/config.yaml)');

/*
 * Commander hands a global option every value on the command line, wherever it stands, so
 * `flotilla agent --token <join token>` would fill the global --token. A command that
 * declares an option of the same name gets the value back here: its own meaning wins.
 */
program.hook('preAction', (_program, actionCommand) => {
  for (const option of actionCommand.options) {
    const key = option.attributeName();
    for (let parent = actionCommand.parent; parent !== null; parent = parent.parent) {
      if (parent.getOptionValueSource(key) !== 'cli') continue;
      actionCommand.setOptionValueWithSource(key, parent.getOptionValue(key), 'cli');
      break;
    }
  }
});

program
  .command('get')
  .description('List objects, or show some by name')
  .argument('<type>', 'devices, pods, deployments or events (also singular and short: po, deploy, dev, ev), or groups --by <label>')
  .argument('[names...]', 'only these objects')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
  .option('-l, --selector <selector>', 'only objects whose labels match, as role=camera,site in (a,b),!retired')
  .option('--by <label>', 'for groups: the device label whose values make the groups, as site')
  .option('-A, --all-namespaces', 'list namespaced objects of every namespace')
  .option('-w, --watch', 'after listing, print objects again as they change (polls every 2 s; events follow the fleet events topic)')
  .option('--for <kind/name>', 'events only: those about this object, as pod/web-1 or device/cam-7')
  .addHelpText(
    'after',
    examples(
      'flotilla get devices',
      'flotilla get devices -l role=camera,site=plant-3 -o wide',
      "flotilla get devices -l 'site in (plant-3,plant-4),!decommissioned'",
      'flotilla get groups --by site',
      'flotilla get groups --by site -l role=camera -o json',
      'flotilla get pods -A',
      'flotilla get pod web-5d8f9-x2k4q -o yaml',
      'flotilla get deployments -w',
      'flotilla get events -n default',
      'flotilla get events -A --watch',
      'flotilla get events --for device/cam-7',
    ),
  )
  .action(async (type: string, names: string[], _options: unknown, command: Command) => {
    const { runGet } = await import('./commands/get.js');
    await runGet(type, names, optionsOf(command));
  });

program
  .command('watch')
  .description('Watch fleet health live from its MQTT topics: the summary, each device, events as they happen')
  .option('-l, --selector <selector>', 'only devices whose labels match, and their events')
  .option('--once', 'print the fleet once and exit')
  .addHelpText('after', examples('flotilla watch', 'flotilla watch -l site=plant-3', 'flotilla watch --once | grep NotReady'))
  .action(async (_options: unknown, command: Command) => {
    const { runWatch } = await import('./commands/watch.js');
    await runWatch(optionsOf(command));
  });

program
  .command('describe')
  .description('Show one object in detail, with its events')
  .argument('<type>', 'pod, device, deployment or secret')
  .argument('<name>', 'its name')
  .addHelpText(
    'after',
    examples('flotilla describe pod web-5d8f9-x2k4q', 'flotilla describe device cam-7', 'flotilla describe deployment web -n plant-3', 'flotilla describe secret db'),
  )
  .action(async (type: string, name: string, _options: unknown, command: Command) => {
    const { runDescribe } = await import('./commands/describe.js');
    await runDescribe(type, name, optionsOf(command));
  });

declareTopCommand(program);
declareLogsCommand(program);

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
    .argument('<device>', "the device's name (or the word device, then the name)")
    .argument('[name]')
    .addHelpText('after', examples(`flotilla ${verb} cam-7`, `flotilla ${verb} device cam-7`))
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const { runCordon } = await import('./commands/cordon.js');
      await runCordon(first, second, unschedulable, optionsOf(command));
    });
}

program
  .command('drain')
  .description('Cordon a device, then delete its Deployment pods so they are placed elsewhere; DaemonSet pods stay')
  .argument('<device>', "the device's name (or the word device, then the name)")
  .argument('[name]')
  .option('--force', 'also delete pods no Deployment or DaemonSet controls: nothing brings them back')
  .addHelpText('after', examples('flotilla drain cam-7', 'flotilla drain device cam-7 --force'))
  .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
    const { runDrain } = await import('./commands/cordon.js');
    await runDrain(first, second, optionsOf(command));
  });

const rollout = program
  .command('rollout')
  .description("Follow and steer a Deployment's or DaemonSet's rollout: status, pause, resume, undo, history")
  .addHelpText(
    'after',
    examples('flotilla rollout status deployment/web', 'flotilla rollout pause ds agent', 'flotilla rollout undo deployment/web --to-revision 2', 'flotilla rollout history deploy/web'),
  );
const workloadHelp = 'deployment/<name> or daemonset/<name> (also deploy, ds; or the type, then the name)';

rollout
  .command('status')
  .description('Show the rollout as it goes (wave, updated, ready, failed, pending); exit 0 once complete, 1 if it failed or was rolled back')
  .argument('<workload>', workloadHelp)
  .argument('[name]')
  .option('-w, --watch [bool]', 'follow it until it ends; --watch=false looks once', true)
  .option('--timeout <duration>', 'give up (exit 1) after this long: 30s, 5m, 1h; 0 waits for ever', '0')
  .addHelpText('after', examples('flotilla rollout status deployment/web', 'flotilla rollout status ds agent --timeout 10m', 'flotilla rollout status deploy/web --watch=false'))
  .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
    const { runRolloutStatus } = await import('./commands/rollout.js');
    await runRolloutStatus(first, second, optionsOf(command));
  });

for (const [verb, description] of [
  ['pause', 'Stop the rollout where it stands (spec.paused); scaling goes on'],
  ['resume', 'Continue a paused rollout, or start the wave after a pause that waits for resume'],
] as const) {
  rollout
    .command(verb)
    .description(description)
    .argument('<workload>', workloadHelp)
    .argument('[name]')
    .addHelpText('after', examples(`flotilla rollout ${verb} deployment/web`))
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const { runRolloutAction } = await import('./commands/rollout.js');
      await runRolloutAction(verb, first, second, optionsOf(command));
    });
}

rollout
  .command('undo')
  .description('Go back to the previous revision of the pod template, or to --to-revision; it rolls out as any change')
  .argument('<workload>', workloadHelp)
  .argument('[name]')
  .option('--to-revision <n>', 'the revision to go back to (flotilla rollout history lists them)')
  .addHelpText('after', examples('flotilla rollout undo deployment/web', 'flotilla rollout undo ds/agent --to-revision 3'))
  .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
    const { runRolloutUndo } = await import('./commands/rollout.js');
    await runRolloutUndo(first, second, optionsOf(command));
  });

rollout
  .command('history')
  .description('List the revisions of the pod template, or show one with --revision')
  .argument('<workload>', workloadHelp)
  .argument('[name]')
  .option('--revision <n>', "show this revision's pod template")
  .addHelpText('after', examples('flotilla rollout history deployment/web', 'flotilla rollout history deployment/web --revision 2'))
  .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
    const { runRolloutHistory } = await import('./commands/rollout.js');
    await runRolloutHistory(first, second, optionsOf(command));
  });

const config = program
  .command('config')
  .description('Contexts of the config file: which hub, the CA to trust for it, and the access token to send')
  .addHelpText(
    'after',
    examples(
      'flotilla config set-context plant-3 --server https://hub.plant-3:7080 --ca-fingerprint sha256:9f2c… --token flotilla-access.alice.…',
      'flotilla config use-context plant-3',
      'flotilla config get-contexts',
    ),
  );

config
  .command('view')
  .description('Show the config file; tokens and CA data are hidden unless --raw')
  .option('--raw', 'show tokens and CA data as they are')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
  .addHelpText('after', examples('flotilla config view', 'flotilla config view --raw -o json'))
  .action(async (_options: unknown, command: Command) => {
    const { runConfigView } = await import('./commands/config.js');
    runConfigView(command.optsWithGlobals());
  });

config
  .command('get-contexts')
  .description('List the contexts; * marks the current one')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['name']))
  .addHelpText('after', examples('flotilla config get-contexts', 'flotilla config get-contexts -o name'))
  .action(async (_options: unknown, command: Command) => {
    const { runConfigGetContexts } = await import('./commands/config.js');
    runConfigGetContexts(command.optsWithGlobals());
  });

config
  .command('current-context')
  .description('Print the name of the current context')
  .addHelpText('after', examples('flotilla config current-context'))
  .action(async (_options: unknown, command: Command) => {
    const { runConfigCurrentContext } = await import('./commands/config.js');
    runConfigCurrentContext(command.optsWithGlobals());
  });

config
  .command('use-context')
  .description('Make a context the current one')
  .argument('<name>', "the context's name")
  .addHelpText('after', examples('flotilla config use-context plant-3'))
  .action(async (name: string, _options: unknown, command: Command) => {
    const { runConfigUseContext } = await import('./commands/config.js');
    runConfigUseContext(name, command.optsWithGlobals());
  });

config
  .command('set-context')
  .description("Add a context or change one: the hub's address, its CA, the token to send")
  .argument('<name>', "the context's name")
  .option('--server <url>', "the hub's API, as https://hub.example:7080")
  .option('--token <token>', "the access token to send (from flotilla access grant, or the hub's admin.yaml)")
  .option('--ca-file <pem>', "trust the hub's CA from this PEM file")
  .option('--ca-fingerprint <sha256:hex>', "fetch the hub's CA and trust it only if it has this fingerprint (the hub logs it)")
  .addHelpText(
    'after',
    examples(
      'flotilla config set-context plant-3 --server https://hub.plant-3:7080 --ca-fingerprint sha256:9f2c…',
      'flotilla config set-context plant-3 --token "$(cat alice.token)"',
      'flotilla config set-context lab --server https://10.0.0.5:7080 --ca-file hub-ca.pem',
    ),
  )
  .action(async (name: string, _options: unknown, command: Command) => {
    const { runConfigSetContext } = await import('./commands/config.js');
    await runConfigSetContext(name, command.optsWithGlobals());
  });

config
  .command('delete-context')
  .description('Remove a context from the config file')
  .argument('<name>', "the context's name")
  .addHelpText('after', examples('flotilla config delete-context old-lab'))
  .action(async (name: string, _options: unknown, command: Command) => {
    const { runConfigDeleteContext } = await import('./commands/config.js');
    runConfigDeleteContext(name, command.optsWithGlobals());
  });

const token = program
  .command('token')
  .description('Join tokens: what a new device is given to join the fleet (admin)')
  .addHelpText('after', examples('flotilla token create --labels site=plant-3 --ttl 24h --uses 10', 'flotilla token list', 'flotilla token revoke 4f9a1c2b7d3e'));

token
  .command('create')
  .description('Make a join token and print it (only the token on stdout; its id, expiry and uses on stderr)')
  .option('--labels <labels>', 'labels every device that joins with it gets, as role=camera,site=plant-3')
  .option('--ttl <duration>', 'how long it can be used: 30m, 24h, 7d or seconds (default: no expiry)')
  .option('--uses <n>', 'how many devices may join with it (default: unlimited)')
  .addHelpText(
    'after',
    examples('flotilla token create --ttl 24h --uses 1', 'TOKEN=$(flotilla token create --labels role=camera,site=plant-3 --ttl 7d)', 'flotilla agent --token "$TOKEN"'),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runTokenCreate } = await import('./commands/token.js');
    await runTokenCreate(command.optsWithGlobals());
  });

token
  .command('list')
  .description('List join tokens: state, uses, expiry, labels (never their secrets)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
  .addHelpText('after', examples('flotilla token list', 'flotilla token list -o yaml'))
  .action(async (_options: unknown, command: Command) => {
    const { runTokenList } = await import('./commands/token.js');
    await runTokenList(command.optsWithGlobals());
  });

token
  .command('revoke')
  .description('Revoke join tokens: no device can join with them any more (devices that joined stay)')
  .argument('<ids...>', 'the ids of the tokens, as token list shows them')
  .addHelpText('after', examples('flotilla token revoke 4f9a1c2b7d3e'))
  .action(async (ids: string[], _options: unknown, command: Command) => {
    const { runTokenRevoke } = await import('./commands/token.js');
    await runTokenRevoke(ids, command.optsWithGlobals());
  });

const access = program
  .command('access')
  .description('Access tokens for the API: who may read (viewer), change workloads (operator), or everything (admin)')
  .addHelpText('after', examples('flotilla access grant alice --role operator --ttl 30d', 'flotilla access list', 'flotilla access revoke alice'));

access
  .command('grant')
  .description('Make an access token and print it (only the token on stdout)')
  .argument('<name>', 'who holds it, a DNS label: alice, ci-deploy')
  .addOption(new Option('--role <role>', 'what it may do').choices(['viewer', 'operator', 'admin']).makeOptionMandatory())
  .option('--ttl <duration>', 'how long it is valid: 30m, 24h, 7d or seconds (default: no expiry)')
  .addHelpText(
    'after',
    examples('flotilla access grant dashboards --role viewer', 'flotilla access grant ci-deploy --role operator --ttl 90d > ci.token'),
  )
  .action(async (name: string, _options: unknown, command: Command) => {
    const { runAccessGrant } = await import('./commands/access.js');
    await runAccessGrant(name, command.optsWithGlobals());
  });

access
  .command('list')
  .description('List access tokens: name, role, expiry (never their secrets)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
  .addHelpText('after', examples('flotilla access list', 'flotilla access list -o json'))
  .action(async (_options: unknown, command: Command) => {
    const { runAccessList } = await import('./commands/access.js');
    await runAccessList(command.optsWithGlobals());
  });

access
  .command('revoke')
  .description('Revoke access tokens at once')
  .argument('<names...>', 'the names of the tokens')
  .addHelpText('after', examples('flotilla access revoke alice'))
  .action(async (names: string[], _options: unknown, command: Command) => {
    const { runAccessRevoke } = await import('./commands/access.js');
    await runAccessRevoke(names, command.optsWithGlobals());
  });

program
  .command('device')
  .description('Manage enrolled devices')
  .addHelpText('after', examples('flotilla device remove cam-7'))
  .command('remove')
  .description('Remove devices from the fleet: deleted, and their certificates revoked at once (admin)')
  .argument('<names...>', 'the names of the devices')
  .addHelpText('after', examples('flotilla device remove cam-7', 'flotilla device remove cam-7 cam-8'))
  .action(async (names: string[], _options: unknown, command: Command) => {
    const { runDeviceRemove } = await import('./commands/device.js');
    await runDeviceRemove(names, command.optsWithGlobals());
  });

program
  .command('hub')
  .description('Run the hub: API, store, MQTT broker, scheduler and controllers')
  .configureHelp({ showGlobalOptions: false })
  .option('--data-dir <dir>', 'where the store keeps its data (env FLOTILLA_DATA_DIR, default .flotilla/hub)')
  .option('--secrets-key-file <file>', 'the key Secrets are encrypted with, made on first start (env FLOTILLA_SECRETS_KEY_FILE, default <data-dir>/secrets.key)')
  .option('--http-host <host>', 'API listen address (default 0.0.0.0)')
  .option('--port <port>', 'API port (env FLOTILLA_PORT, default 7080)')
  .option('--mqtt-host <host>', 'embedded broker listen address (default 0.0.0.0)')
  .option('--mqtt-port <port>', "embedded broker's plain port: the hub's own link, on loopback unless --plain-mqtt (env FLOTILLA_MQTT_PORT, default 1883)")
  .option('--mqtt-tls-port <port>', "embedded broker's listener for devices (a certificate each, from the hub's CA) and watchers (an access token) (env FLOTILLA_MQTT_TLS_PORT, default 8883)")
  .option('--plain-mqtt', 'development only: devices connect to --mqtt-port over plain MQTT without credentials (env FLOTILLA_PLAIN_MQTT=1)')
  .option('--advertise-url <url>', 'the API address join tokens send devices to, https://host:port (env FLOTILLA_ADVERTISE_URL; default: the address the token was made through)')
  .option('--mqtt-url <url>', 'use this external broker instead of the embedded one (env FLOTILLA_MQTT_URL)')
  .option('--topic-prefix <prefix>', 'MQTT topic prefix (default flotilla/v1)')
  .option('--not-ready-after <seconds>', 'a device silent this long goes NotReady (default 30)')
  .option('--offline-after <seconds>', 'a device silent this long goes Offline (default 90)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env FLOTILLA_LOG_LEVEL, default info)')
  .option('--fleet-groups <keys>', 'label keys the fleet summary counts devices by, as site,region (env FLOTILLA_FLEET_GROUPS, default site)')
  .option('--config <file>', "settings file (YAML): the scheduler's plugins, their weights and arguments (env FLOTILLA_HUB_CONFIG)")
  .addHelpText(
    'after',
    examples(
      'flotilla hub',
      'flotilla hub --data-dir /var/lib/flotilla --port 7080 --mqtt-port 1883',
      'flotilla hub --mqtt-url mqtts://broker.example.com:8883',
      'flotilla hub --config hub.yaml',
    ),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runHub } = await import('./commands/hub.js');
    await runHub(command.opts());
  });

declareAgentCommand(program);

program
  .command('flash')
  .description('Make an install bundle for a device of a firmware profile: the agent in one file, its config, the hub\'s CA, a systemd unit and install.sh')
  .configureHelp({ showGlobalOptions: false })
  .requiredOption('--profile <name|file.json>', 'firmware profile of the device (see firmware-profiles/)')
  // Not requiredOption: the global --token takes the value first, and the preAction hook hands it back after commander's check.
  .option('--token <join token>', 'join token from flotilla token create; the device enrols with it on first start (required)')
  .option('--out <dir|file.tar.gz>', 'write the bundle to a new directory, or to a .tar.gz, to copy to the device and run install.sh there')
  .option('--target <dir>', "write the agent into this mounted root filesystem (an SD card's root partition): it starts and enrols on first boot")
  .option('--name <name>', 'device name (default: the device\'s host name)')
  .option('--labels <labels>', 'labels the device announces, as role=camera,site=plant-3')
  .option('--ca-file <pem>', "the hub's CA, instead of fetching it from the hub the token names; checked against the token all the same")
  .option('--node-binary <file>', 'a Node.js binary for the device, carried in the bundle (profiles whose Node.js comes with the bundle)')
  .addHelpText(
    'after',
    examples(
      'flotilla flash --profile raspberry-pi-4 --token "$TOKEN" --target /media/$USER/rootfs --name cam-7 --labels role=camera',
      'flotilla flash --profile industrial-pc-x86 --token "$TOKEN" --out gateway.tar.gz',
      'flotilla flash --profile generic-arm64 --token "$TOKEN" --out bundle/ --node-binary node-v20.18.0-linux-arm64/bin/node',
    ),
  )
  .action(async (_options: unknown, command: Command) => {
    const { runFlash } = await import('./commands/flash.js');
    await runFlash(command.opts());
  });

await runCommandLine(program);
