/**
 * The fleet simulator: N simulated ("hollow") devices in one process, for benchmarks and
 * load tests of a hub. Each device is the real agent — its own MQTT session with birth, Last
 * Will and heartbeats, its reconciler, its local state on disk — started through
 * `startAgent` with only the container engine and the heartbeat figures simulated
 * (agent/runtime/hollow.ts). So what a hub does for a hollow fleet is what it does for real
 * devices, and what the simulator's process costs per device is close to the agent's own
 * cost, less the engine.
 *
 * Labels come from a distribution (sites, roles, arch...), apportioned exactly and shuffled
 * with a seed, so selectors and spread behave as in a real fleet and a run can be repeated.
 * Every hollow device also carries the label `flotilla.io/hollow=true` and reports its engine
 * as "hollow": nobody mistakes one for a real device (`-l '!flotilla.io/hollow'`).
 *
 *   node dist/scripts/fleet-simulator.js --hub mqtt://127.0.0.1:1883 --devices 1000 \
 *     --labels 'site=site-{1..20};role=camera:60,sensor:30,gateway:10;arch=arm64:70,amd64:30'
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { defaultAgentOptions, type AgentOptions } from '../agent/config.js';
import { startAgent, type RunningAgent } from '../agent/main.js';
import { dockerArch, HollowHeartbeat, HollowRuntime, seededRandom } from '../agent/runtime/hollow.js';
import { FlotillaError, isFlotillaError } from '../shared/errors.js';
import { labelKeyProblem, labelValueProblem } from '../shared/labels.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { CapacityMessage } from '../shared/proto/codec.js';
import { parseCpu, parseMemory } from '../shared/quantity.js';
import { DEFAULT_TOPIC_PREFIX, deviceNameProblem } from '../shared/topics.js';

/** Marks every simulated device, so selectors can leave them out. */
export const HOLLOW_LABEL = 'flotilla.io/hollow';

/** One label's values and their weights; weights are relative (60/30/10 is 0.6/0.3/0.1). */
export type LabelWeights = Record<string, number>;
/** Label key → the weights of its values. */
export type LabelDistribution = Record<string, LabelWeights>;

export interface FleetOptions {
  /** The hub's MQTT broker, `mqtt://127.0.0.1:1883`; with a join token, the broker the hub names at enrolment. */
  hubUrl: string;
  /**
   * A join token: each device enrols with it, as a flashed device does, and connects over
   * mutual TLS with its own certificate. Without one, devices use a development listener.
   */
  token?: string;
  /** How many hollow devices. */
  devices: number;
  /** Each device has its own directory under it: `<stateDir>/<name>`. */
  stateDir: string;
  /** Devices are `<prefix>-<index>`, index zero-padded; default "hollow". */
  namePrefix?: string;
  /** First index; another simulator process can take the next range (default 1). */
  firstIndex?: number;
  /** Default 10, as the agent's. */
  heartbeatSeconds?: number;
  /** Simulated time from container start to running (default 200 ms). */
  startDelayMs?: number;
  /** Up to this much more per start, drawn with the seed (default 0). */
  startJitterMs?: number;
  /** Simulated time of an image's first pull (default 0). */
  pullDelayMs?: number;
  /** Images whose pull fails on every hollow device (ErrImagePull). */
  failImages?: RegExp;
  /** The distribution, or its text form (see parseLabelDistribution). */
  labels?: LabelDistribution | string;
  /** Same seed, same fleet: labels, heartbeat figures and start jitter (default 1). */
  seed?: string | number;
  /** Devices started per second, so a broker is not hit by thousands of CONNECTs at once (default 500). */
  connectRatePerSecond?: number;
  /**
   * The ramp waits while this many started devices have no session yet (default 1000; 0: never
   * waits), so an overloaded broker is not buried in CONNECT retries.
   */
  maxPendingConnects?: number;
  /** What each device announces (default 4 cores, 4 GiB, 110 pods). */
  capacity?: CapacityMessage;
  /** The agent's full resync with its engine; longer than the agent's default (default 60). */
  resyncSeconds?: number;
  topicPrefix?: string;
  /** One logger for the whole fleet (default: pino on stderr at `logLevel`). */
  log?: Logger;
  /** Default "warn": at info, a thousand agents would drown the terminal. */
  logLevel?: string;
}

export interface HollowDevice {
  name: string;
  /** The labels it announces in its birth. */
  labels: Record<string, string>;
  /** The architecture its engine reports: the `arch` label when the distribution has one. */
  arch: string;
}

export interface Fleet {
  readonly names: readonly string[];
  readonly devices: readonly HollowDevice[];
  /** Devices whose agent has been started (the ramp-up's progress). */
  started(): number;
  /**
   * Devices heard from within the last one and a half heartbeat periods: an agent samples a
   * heartbeat on every connect and then each period, and only while its link is up.
   */
  connected(): number;
  /** Resolves once every device's agent is started; rejects if one could not start. */
  whenStarted(): Promise<void>;
  /**
   * Stops every agent cleanly (each sends its graceful death); the state directories stay.
   * An agent that has not stopped after 10 s is left behind and counted.
   */
  stop(): Promise<FleetStopReport>;
}

export interface FleetStopReport {
  /** Devices whose agent failed to stop or did not stop in time. */
  uncleanStops: number;
}

export const DEFAULT_CAPACITY: CapacityMessage = { cpuMillis: 4000, memoryBytes: 4 * 1024 ** 3, pods: 110 };

const LABEL_SPEC_HINT = "write key=value[:weight],...;key=... as in 'site=site-{1..20};role=camera:60,sensor:30,gateway:10'";
/** A range bigger than this is a typo, not a fleet. */
const MAX_RANGE_VALUES = 100_000;
/** Agents stopped at a time: each waits for its death message's acknowledgement. */
const STOP_CONCURRENCY = 250;
const STOP_TIMEOUT_MS = 10_000;

/**
 * The text form of a label distribution: entries `key=values` separated by ";", values
 * separated by ",", each `value` or `value:weight` (weight 1 when absent). A value may hold one
 * numeric range, `site-{1..20}` (`{01..20}` pads with zeros), that stands for every value in it.
 *
 *   site=site-{1..20};role=camera:60,sensor:30,gateway:10;arch=arm64:70,amd64:30
 */
export function parseLabelDistribution(text: string): LabelDistribution {
  const fail = (problem: string): never => {
    throw new FlotillaError('Invalid', `invalid label distribution "${text}": ${problem}`, {
      details: [{ field: 'labels', message: problem }],
      hint: LABEL_SPEC_HINT,
    });
  };
  const distribution: LabelDistribution = {};
  if (text.trim() === '') return distribution;
  for (const rawEntry of text.split(';')) {
    const entry = rawEntry.trim();
    if (entry === '') fail('it has an empty entry between ";"');
    const equals = entry.indexOf('=');
    if (equals < 0) fail(`"${entry}" has no "=": each entry is key=value[:weight],...`);
    const key = entry.slice(0, equals).trim();
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) fail(keyProblem);
    if (Object.hasOwn(distribution, key)) fail(`label "${key}" is given twice`);
    const weights: LabelWeights = {};
    for (const rawValue of entry.slice(equals + 1).split(',')) {
      const item = rawValue.trim();
      if (item === '') fail(`label "${key}" has an empty value between ","`);
      const parts = item.split(':');
      if (parts.length > 2) fail(`"${item}" of label "${key}" has more than one ":"`);
      const [pattern = '', weightText] = parts;
      const weight = weightText === undefined ? 1 : Number(weightText.trim().replace(/%$/, ''));
      if (weightText !== undefined && (weightText.trim() === '' || !Number.isFinite(weight) || weight <= 0)) {
        fail(`the weight "${weightText}" of "${pattern}" in label "${key}" is not a number greater than 0`);
      }
      const values = expandRange(pattern.trim());
      if (typeof values === 'string') fail(`"${pattern}" of label "${key}": ${values}`);
      for (const value of values as string[]) {
        const valueProblem = labelValueProblem(value);
        if (valueProblem !== undefined) fail(`label "${key}": ${valueProblem}`);
        if (Object.hasOwn(weights, value)) fail(`label "${key}" has the value "${value}" twice`);
        weights[value] = weight;
      }
    }
    distribution[key] = weights;
  }
  return distribution;
}

/** `site-{1..3}` → site-1, site-2, site-3; a text without a range is itself; a problem is a string. */
function expandRange(pattern: string): string[] | string {
  const ranges = [...pattern.matchAll(/\{(\d+)\.\.(\d+)\}/g)];
  if (ranges.length === 0) {
    return /[{}]/.test(pattern) ? 'a range is written {first..last}, as {1..20}' : [pattern];
  }
  if (ranges.length > 1) return 'only one {first..last} range per value';
  const [match, fromText = '', toText = ''] = ranges[0] as RegExpMatchArray;
  const from = Number(fromText);
  const to = Number(toText);
  if (from > to) return `the range {${fromText}..${toText}} runs backwards`;
  if (to - from + 1 > MAX_RANGE_VALUES) return `the range {${fromText}..${toText}} has more than ${MAX_RANGE_VALUES} values`;
  const padded = /^0\d/.test(fromText) || /^0\d/.test(toText);
  const width = padded ? Math.max(fromText.length, toText.length) : 0;
  const values: string[] = [];
  for (let n = from; n <= to; n++) values.push(pattern.replace(match, String(n).padStart(width, '0')));
  return values;
}

/** Checks a distribution given as an object, with the same rules as its text form. */
function checkDistribution(distribution: LabelDistribution): LabelDistribution {
  const problems: { field: string; message: string }[] = [];
  for (const [key, weights] of Object.entries(distribution)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) problems.push({ field: `labels.${key}`, message: keyProblem });
    if (Object.keys(weights).length === 0) problems.push({ field: `labels.${key}`, message: 'has no values' });
    for (const [value, weight] of Object.entries(weights)) {
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) problems.push({ field: `labels.${key}`, message: valueProblem });
      if (!Number.isFinite(weight) || weight <= 0) {
        problems.push({ field: `labels.${key}.${value}`, message: `weight ${weight} is not a number greater than 0` });
      }
    }
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new FlotillaError('Invalid', `invalid label distribution: ${lines}`, { details: problems, hint: LABEL_SPEC_HINT });
  }
  return distribution;
}

/**
 * Labels for `count` devices: each value gets its share of the devices, rounded by largest
 * remainder (60/30/10 over 20 devices is exactly 12, 6 and 2), then the values are shuffled
 * with the seed. Keys are shuffled independently, so roles do not follow sites.
 */
export function assignLabels(distribution: LabelDistribution, count: number, seed: string | number): Record<string, string>[] {
  const assigned = Array.from({ length: count }, (): Record<string, string> => ({}));
  for (const [key, weights] of Object.entries(distribution)) {
    const random = seededRandom(`${seed}/labels/${key}`);
    const values = apportion(weights, count, random);
    values.forEach((value, i) => {
      (assigned[i] as Record<string, string>)[key] = value;
    });
  }
  return assigned;
}

function apportion(weights: LabelWeights, count: number, random: () => number): string[] {
  const entries = Object.entries(weights);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  const shares = entries.map(([value, weight]) => {
    const exact = (count * weight) / total;
    return { value, whole: Math.floor(exact), remainder: exact - Math.floor(exact), tie: random() };
  });
  let left = count - shares.reduce((sum, share) => sum + share.whole, 0);
  // Largest remainders take the devices left over; equal ones (20 sites over 30 devices) by lot.
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder || a.tie - b.tie)) {
    if (left <= 0) break;
    share.whole += 1;
    left -= 1;
  }
  const values: string[] = [];
  for (const share of shares) for (let i = 0; i < share.whole; i++) values.push(share.value);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j] as string, values[i] as string];
  }
  return values;
}

/** `hollow-0001`...: zero-padded so names sort in order. */
export function deviceNames(prefix: string, firstIndex: number, count: number): string[] {
  const width = Math.max(4, String(firstIndex + count - 1).length);
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(firstIndex + i).padStart(width, '0')}`);
}

function invalidOption(field: string, message: string): FlotillaError {
  return new FlotillaError('Invalid', `invalid fleet option ${field}: ${message}`, { details: [{ field, message }] });
}

function positive(field: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalidOption(field, `${value} is not ${integer ? 'a whole number' : 'a number'} greater than 0`);
  }
  return value;
}

function notNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidOption(field, `${value} is not a number of 0 or more`);
  return value;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const count = positive('devices', options.devices, true);
  const prefix = options.namePrefix ?? 'hollow';
  const firstIndex = options.firstIndex ?? 1;
  if (!Number.isInteger(firstIndex) || firstIndex < 0) throw invalidOption('firstIndex', `${firstIndex} is not a whole number of 0 or more`);
  const heartbeatSeconds = positive('heartbeatSeconds', options.heartbeatSeconds ?? 10);
  const rate = positive('connectRatePerSecond', options.connectRatePerSecond ?? 500);
  const maxPending = notNegative('maxPendingConnects', options.maxPendingConnects ?? 1000);
  const resyncSeconds = positive('resyncSeconds', options.resyncSeconds ?? 60);
  const startDelayMs = notNegative('startDelayMs', options.startDelayMs ?? 200);
  const startJitterMs = notNegative('startJitterMs', options.startJitterMs ?? 0);
  const pullDelayMs = notNegative('pullDelayMs', options.pullDelayMs ?? 0);
  const seed = options.seed ?? 1;
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  const distribution =
    typeof options.labels === 'string' ? parseLabelDistribution(options.labels) : checkDistribution(options.labels ?? {});

  const names = deviceNames(prefix, firstIndex, count);
  for (const name of [names[0], names[names.length - 1]]) {
    const problem = name === undefined ? undefined : deviceNameProblem(name);
    if (problem !== undefined) throw invalidOption('namePrefix', `the device name "${name}" ${problem}`);
  }
  const defaultArch = dockerArch(hostArch());
  const devices: HollowDevice[] = assignLabels(distribution, count, seed).map((labels, i) => ({
    name: names[i] as string,
    labels: { ...labels, [HOLLOW_LABEL]: 'true' },
    arch: labels['arch'] ?? defaultArch,
  }));

  // One destination (one file descriptor) for the whole fleet; children only add the device name.
  const log = options.log ?? createLogger('fleet-simulator', options.logLevel ?? 'warn');
  mkdirSync(options.stateDir, { recursive: true });

  const agents: (RunningAgent | undefined)[] = new Array(count);
  /** When each device last sampled a heartbeat (epoch ms); 0 once stopped. */
  const lastBeat = new Float64Array(count);
  let started = 0;
  let stopping = false;

  const startDevice = (device: HollowDevice, index: number): Promise<RunningAgent> => {
    const agentOptions: AgentOptions = {
      ...defaultAgentOptions,
      name: device.name,
      hubUrl: options.hubUrl,
      ...(options.token === undefined ? {} : { token: options.token }),
      labels: device.labels,
      runtime: 'hollow',
      stateDir: join(options.stateDir, device.name),
      heartbeatSeconds,
      resyncSeconds,
      topicPrefix: options.topicPrefix ?? DEFAULT_TOPIC_PREFIX,
      logLevel: options.logLevel ?? 'warn',
    };
    const runtime = new HollowRuntime({
      device: device.name,
      arch: device.arch,
      startDelayMs,
      startJitterMs,
      pullDelayMs,
      random: seededRandom(`${seed}/${device.name}/runtime`),
      ...(options.failImages ? { failImages: options.failImages } : {}),
    });
    const figures = new HollowHeartbeat({ seed: `${seed}/${device.name}`, memoryTotalBytes: capacity.memoryBytes });
    const heartbeat = {
      sample: (runningPods: number, bdSeq: number) => {
        if (!stopping) lastBeat[index] = Date.now();
        return figures.sample(runningPods, bdSeq);
      },
    };
    return startAgent(agentOptions, { runtime, heartbeat, capacity, log: log.child({ device: device.name }) });
  };

  const countConnected = () => {
    const since = Date.now() - heartbeatSeconds * 1500;
    let connected = 0;
    for (const at of lastBeat) if (at > since) connected += 1;
    return connected;
  };

  const ramp = (async () => {
    const interval = 1000 / rate;
    let nextAt = performance.now();
    for (let i = 0; i < count && !stopping; i++) {
      // A broker that answers CONNECTs slower than they come times them out, and every retry
      // is one more CONNECT: hold the ramp while too many devices wait for their session.
      while (maxPending > 0 && started - countConnected() >= maxPending && !stopping) {
        await sleep(50);
        nextAt = performance.now();
      }
      // Ahead of the rate: wait, in steps the timer can keep (a few ms, not a fraction of one).
      const ahead = nextAt - performance.now();
      if (ahead >= 4) await sleep(ahead);
      if (stopping) break;
      agents[i] = await startDevice(devices[i] as HollowDevice, i);
      started += 1;
      // Catch up on timer lateness, but never burst to make up for a hold.
      nextAt = Math.max(nextAt + interval, performance.now() - 50);
    }
  })();
  // A failed start is reported by whenStarted(); stop() still stops the devices that did start.
  ramp.catch(() => undefined);

  let stopped: Promise<FleetStopReport> | undefined;
  return {
    names,
    devices,
    started: () => started,
    connected: countConnected,
    whenStarted: () => ramp,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await ramp.catch(() => undefined);
        const unclean: string[] = [];
        await forEachLimited(agents, STOP_CONCURRENCY, async (agent, i) => {
          const problem = agent && (await stopWithin(agent, STOP_TIMEOUT_MS));
          if (problem !== undefined) unclean.push(`${names[i]}: ${problem}`);
          lastBeat[i] = 0;
        });
        if (unclean.length > 0) {
          log.warn({ devices: unclean.length, first: unclean.slice(0, 5) }, 'hollow devices did not stop cleanly');
        }
        return { uncleanStops: unclean.length };
      })();
      return stopped;
    },
  };
}

/**
 * An agent's stop waits for the broker to acknowledge its messages; a link that broke with
 * messages in flight can wait forever, and one such device must not hold up the fleet.
 */
async function stopWithin(agent: RunningAgent, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`its agent did not stop within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    return await Promise.race([agent.stop().then(() => undefined, (error: Error) => error.message), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await run(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Command line

const MIB = 1024 * 1024;
const EXIT_USAGE = 2;

function numberFlag(flag: string, integer = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new FlotillaError('Invalid', `invalid ${flag} "${text}": expected ${integer ? 'a whole number' : 'a number'} of 0 or more`);
    }
    return value;
  };
}

function regexFlag(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new FlotillaError('Invalid', `invalid --fail-images "${text}": ${(error as Error).message}`);
  }
}

function quantityFlag(flag: string, text: string, parse: (text: string) => number): number {
  try {
    return parse(text);
  } catch (error) {
    if (!isFlotillaError(error)) throw error;
    throw new FlotillaError('Invalid', `invalid ${flag} "${text}": ${error.message}`);
  }
}

interface CliFlags {
  hub: string;
  token?: string;
  devices: number;
  namePrefix: string;
  firstIndex: number;
  heartbeat: number;
  startDelayMs: number;
  startJitterMs: number;
  pullDelayMs: number;
  failImages?: RegExp;
  labels?: string;
  seed: string;
  connectRate: number;
  maxPending: number;
  stateDir: string;
  cpu: string;
  memory: string;
  maxPods: number;
  resync: number;
  topicPrefix: string;
  logLevel: string;
}

function cliProgram(): Command {
  return new Command('fleet-simulator')
    .description('Run simulated ("hollow") devices against a hub: the real agent, a simulated container engine.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .option('--hub <url>', "the hub's MQTT broker", 'mqtt://127.0.0.1:1883')
    .option('--token <join token>', 'each device enrols with this token and connects over TLS with its own certificate')
    .option('--devices <n>', 'how many hollow devices', numberFlag('--devices', true), 100)
    .option('--name-prefix <prefix>', 'devices are <prefix>-0001, <prefix>-0002, ...', 'hollow')
    .option('--first-index <n>', 'index of the first device (another simulator can take the next range)', numberFlag('--first-index', true), 1)
    .option('--heartbeat <seconds>', 'heartbeat period of each device', numberFlag('--heartbeat'), 10)
    .option('--start-delay-ms <ms>', 'simulated time from container start to running', numberFlag('--start-delay-ms'), 200)
    .option('--start-jitter-ms <ms>', 'up to this much more per start', numberFlag('--start-jitter-ms'), 0)
    .option('--pull-delay-ms <ms>', "simulated time of an image's first pull", numberFlag('--pull-delay-ms'), 0)
    .option('--fail-images <regex>', 'images whose pull fails (ErrImagePull)', regexFlag)
    .option('--labels <distribution>', `label distribution: ${LABEL_SPEC_HINT.replace(/^write /, '')}`)
    .option('--seed <seed>', 'same seed, same fleet (labels, figures, jitter)', '1')
    .option('--connect-rate <n>', 'devices started per second', numberFlag('--connect-rate'), 500)
    .option('--max-pending <n>', 'hold the ramp while this many devices wait for their session (0: never)', numberFlag('--max-pending', true), 1000)
    .option('--state-dir <dir>', "parent of each device's state directory", '.flotilla/fleet-simulator')
    .option('--cpu <cores>', 'CPU capacity each device announces', '4')
    .option('--memory <bytes>', 'memory capacity each device announces', '4Gi')
    .option('--max-pods <n>', 'pods each device accepts', numberFlag('--max-pods', true), 110)
    .option('--resync <seconds>', "each agent's full resync period", numberFlag('--resync'), 60)
    .option('--topic-prefix <prefix>', 'MQTT topic prefix', DEFAULT_TOPIC_PREFIX)
    .addOption(
      new Option('--log-level <level>', 'log level of the agents (one logger for all)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('warn'),
    );
}

function mib(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}

/** Runs the simulator until SIGINT or SIGTERM; resolves with the exit code. */
export async function runFleetSimulator(argv: string[], out: (line: string) => void = (line) => console.log(line)): Promise<number> {
  let flags: CliFlags;
  try {
    flags = cliProgram().parse(argv, { from: 'user' }).opts<CliFlags>();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }
  const baselineRss = process.memoryUsage().rss;
  const began = performance.now();
  const seconds = () => ((performance.now() - began) / 1000).toFixed(1);
  const fleet = await startFleet({
    hubUrl: flags.hub,
    ...(flags.token === undefined ? {} : { token: flags.token }),
    devices: flags.devices,
    namePrefix: flags.namePrefix,
    firstIndex: flags.firstIndex,
    heartbeatSeconds: flags.heartbeat,
    startDelayMs: flags.startDelayMs,
    startJitterMs: flags.startJitterMs,
    pullDelayMs: flags.pullDelayMs,
    ...(flags.failImages ? { failImages: flags.failImages } : {}),
    ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
    seed: flags.seed,
    connectRatePerSecond: flags.connectRate,
    maxPendingConnects: flags.maxPending,
    stateDir: flags.stateDir,
    capacity: {
      cpuMillis: quantityFlag('--cpu', flags.cpu, parseCpu),
      memoryBytes: quantityFlag('--memory', flags.memory, parseMemory),
      pods: flags.maxPods,
    },
    resyncSeconds: flags.resync,
    topicPrefix: flags.topicPrefix,
    logLevel: flags.logLevel,
  });
  const total = fleet.names.length;
  out(`fleet-simulator: starting ${total} hollow devices (${fleet.names[0]} to ${fleet.names[total - 1]}) against ${flags.hub}`);

  let startFailure: Error | undefined;
  fleet.whenStarted().catch((error: Error) => {
    startFailure = error;
  });
  let announced = false;
  let lastConnected = 0;
  let ticks = 0;
  // Every second until all are connected, then only when the count changes (a hub that went away).
  const report = () => {
    const connected = fleet.connected();
    const rss = process.memoryUsage().rss;
    if (!announced && connected === total) {
      announced = true;
      lastConnected = connected;
      const perDevice = (rss - baselineRss) / total;
      out(
        `fleet-simulator: ${total} hollow devices connected in ${seconds()} s; ` +
          `RSS ${mib(rss)} (${Math.round(perDevice / 1024)} KiB per device over a ${mib(baselineRss)} base)`,
      );
      return;
    }
    if (announced && (++ticks % 5 !== 0 || connected === lastConnected)) return;
    lastConnected = connected;
    out(`fleet-simulator: ${fleet.started()}/${total} started, ${connected} connected, ${seconds()} s, RSS ${mib(rss)}`);
  };
  const progress = setInterval(report, 1000);

  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, exitCode: number) => {
      if (stopping) return;
      stopping = true;
      clearInterval(progress);
      out(`fleet-simulator: ${why}; stopping ${fleet.started()} hollow devices`);
      fleet.stop().then(
        ({ uncleanStops }) => {
          out(`fleet-simulator: stopped${uncleanStops > 0 ? `; ${uncleanStops} devices did not stop cleanly (see the warnings)` : ''}`);
          resolve(exitCode);
        },
        (error: Error) => {
          out(`fleet-simulator: stop failed: ${error.message}`);
          resolve(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal: stopping hangs, leave at once.
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stop(signal, 0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const failureWatch = setInterval(() => {
      if (startFailure === undefined) return;
      clearInterval(failureWatch);
      stop(`a device could not start: ${startFailure.message}`, 1);
    }, 200);
    failureWatch.unref();
  });
  return code;
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  runFleetSimulator(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (isFlotillaError(error)) {
        process.stderr.write(`fleet-simulator: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
        process.exit(error.code === 'Invalid' ? EXIT_USAGE : 1);
      }
      process.stderr.write(`fleet-simulator: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
