/**
 * Every MQTT topic string of Flotilla is built and parsed here, nowhere else.
 *
 *   {prefix}/d/{device}/desired     hub → agent, QoS 1, retained   DesiredState (protobuf)
 *   {prefix}/d/{device}/birth       agent → hub, QoS 1             Birth
 *   {prefix}/d/{device}/death       agent/broker Will → hub, QoS 1 Death
 *   {prefix}/d/{device}/heartbeat   agent → hub, QoS 0             Heartbeat
 *   {prefix}/d/{device}/status      agent → hub, QoS 1             StatusReport
 *   {prefix}/d/{device}/events      agent → hub, QoS 1             EventBatch
 *   {prefix}/d/{device}/podstats    agent → hub, QoS 0             PodStatsReport
 *   {prefix}/d/{device}/req/{kind}/{id}  hub → agent, QoS 1       a request (LogRequest)
 *   {prefix}/d/{device}/res/{kind}/{id}  agent → hub, QoS 1       its answers (LogChunk)
 *   {prefix}/fleet/summary          hub → anyone, QoS 1, retained  JSON fleet summary
 *   {prefix}/fleet/devices/{device} hub → anyone, QoS 1, retained  JSON device health
 *   {prefix}/fleet/events           hub → anyone, QoS 1            JSON events
 *
 * The fleet topics are the public ones (shared/fleet.ts has their payloads): everything a
 * watcher may read lies under `{prefix}/fleet/`, and nothing else does.
 */

export const DEFAULT_TOPIC_PREFIX = 'flotilla/v1';

export const DEVICE_CHANNELS = ['desired', 'birth', 'death', 'heartbeat', 'status', 'events', 'podstats'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Channels a device publishes on; the broker refuses it anything else. */
export const AGENT_PUBLISHED_CHANNELS: readonly DeviceChannel[] = ['birth', 'death', 'heartbeat', 'status', 'events', 'podstats'];

/** MQTT QoS and retain flag of each channel. */
export const CHANNEL_DELIVERY: Record<DeviceChannel, { qos: 0 | 1; retain: boolean }> = {
  desired: { qos: 1, retain: true },
  birth: { qos: 1, retain: false },
  death: { qos: 1, retain: false },
  heartbeat: { qos: 0, retain: false },
  status: { qos: 1, retain: false },
  // What happened on the device: each batch counts, none replaces another.
  events: { qos: 1, retain: false },
  // Figures that the next report replaces, as heartbeats are.
  podstats: { qos: 0, retain: false },
};

/**
 * Request/response exchanges between the hub and one device, in zigbee2mqtt's bridge
 * request/response style: the hub asks on `req/{kind}` with the exchange's id in the message,
 * the device answers on `res/{kind}/{id}`, and the id ties the answers to their request. The
 * device only ever connects out, so this works behind NAT; neither side retains anything.
 *
 * A device subscribes to exact topics only: a broker such as aedes looks up its retained
 * messages for every new subscription, and for a wildcard one it tests every retained message
 * there is (the desired state and health document of every device), so 10,000 devices each
 * subscribing to `req/#` cost it seconds at every reconnect of the fleet.
 */
export const EXCHANGE_KINDS = ['logs'] as const;
export type ExchangeKind = (typeof EXCHANGE_KINDS)[number];
export type ExchangeDirection = 'req' | 'res';
export const EXCHANGE_DELIVERY = { qos: 1, retain: false } as const;

/** Ids are one topic level: letters, digits, `-` and `_`, nothing MQTT reads as structure. */
const EXCHANGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function exchangeIdProblem(id: string): string | undefined {
  return EXCHANGE_ID.test(id) ? undefined : 'must be 1 to 64 letters, digits, "-" or "_"';
}

export type ExchangeTopic =
  | { device: string; direction: 'req'; kind: ExchangeKind }
  | { device: string; direction: 'res'; kind: ExchangeKind; id: string };

/**
 * Device names are DNS labels (as Kubernetes node names), so they are safe in a topic level:
 * no `/`, `+` or `#`, nothing MQTT would read as structure.
 */
const DEVICE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DEVICE_NAME_MAX = 63;

export function deviceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DEVICE_NAME_MAX) return `must be at most ${DEVICE_NAME_MAX} characters`;
  if (!DEVICE_NAME.test(name)) {
    return 'must be lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

export class Topics {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    if (prefix.length === 0 || /[+#]/.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/')) {
      throw new Error(`topic prefix "${prefix}" must be non-empty, without wildcards or leading/trailing "/"`);
    }
    this.prefix = prefix;
  }

  device(device: string, channel: DeviceChannel): string {
    return `${this.prefix}/d/${device}/${channel}`;
  }

  /** Subscription for one channel of every device, `{prefix}/d/+/heartbeat`. */
  everyDevice(channel: DeviceChannel): string {
    return `${this.prefix}/d/+/${channel}`;
  }

  /** Everything under one device: what its credentials may touch. */
  deviceTree(device: string): string {
    return `${this.prefix}/d/${device}/#`;
  }

  /** Where the hub asks a device, the exchange's id in the message: `{prefix}/d/{device}/req/{kind}`. */
  deviceRequest(device: string, kind: ExchangeKind): string {
    return `${this.prefix}/d/${device}/req/${kind}`;
  }

  /** Where the device answers: `{prefix}/d/{device}/res/{kind}/{id}`. */
  deviceResponse(device: string, kind: ExchangeKind, id: string): string {
    return `${this.prefix}/d/${device}/res/${kind}/${id}`;
  }

  /** The agent's subscriptions for the requests made to it: one exact topic a kind. */
  deviceRequests(device: string): string[] {
    return EXCHANGE_KINDS.map((kind) => this.deviceRequest(device, kind));
  }

  /** The hub's subscription for every device's answers of one kind: `{prefix}/d/+/res/{kind}/+`. */
  everyDeviceResponse(kind: ExchangeKind): string {
    return `${this.prefix}/d/+/res/${kind}/+`;
  }

  /** The parts of a request or response topic, or undefined for anything else. */
  parseExchange(topic: string): ExchangeTopic | undefined {
    const head = `${this.prefix}/d/`;
    if (!topic.startsWith(head)) return undefined;
    const rest = topic.slice(head.length).split('/');
    const [device = '', direction, kind = '', id] = rest;
    if (!(EXCHANGE_KINDS as readonly string[]).includes(kind) || deviceNameProblem(device) !== undefined) return undefined;
    if (direction === 'req' && rest.length === 3) return { device, direction, kind: kind as ExchangeKind };
    if (direction === 'res' && rest.length === 4 && id !== undefined && exchangeIdProblem(id) === undefined) {
      return { device, direction, kind: kind as ExchangeKind, id };
    }
    return undefined;
  }

  /** The device and channel of a device topic, or undefined for anything else. */
  parseDevice(topic: string): { device: string; channel: DeviceChannel } | undefined {
    const head = `${this.prefix}/d/`;
    if (!topic.startsWith(head)) return undefined;
    const rest = topic.slice(head.length).split('/');
    if (rest.length !== 2) return undefined;
    const [device, channel] = rest as [string, string];
    if (deviceNameProblem(device) !== undefined) return undefined;
    if (!(DEVICE_CHANNELS as readonly string[]).includes(channel)) return undefined;
    return { device, channel: channel as DeviceChannel };
  }

  fleetDevice(device: string): string {
    return `${this.prefix}/fleet/devices/${device}`;
  }

  fleetEvents(): string {
    return `${this.prefix}/fleet/events`;
  }

  fleetSummary(): string {
    return `${this.prefix}/fleet/summary`;
  }

  /** Subscription for every device's health document, `{prefix}/fleet/devices/+`. */
  everyFleetDevice(): string {
    return `${this.prefix}/fleet/devices/+`;
  }

  /** Subscription for every fleet topic: all a watcher may read. */
  fleetTree(): string {
    return `${this.prefix}/fleet/#`;
  }

  /** Which fleet topic this is, or undefined for anything else. */
  parseFleet(topic: string): FleetTopic | undefined {
    const head = `${this.prefix}/fleet/`;
    if (!topic.startsWith(head)) return undefined;
    const rest = topic.slice(head.length).split('/');
    if (rest.length === 1 && rest[0] === 'summary') return { topic: 'summary' };
    if (rest.length === 1 && rest[0] === 'events') return { topic: 'events' };
    if (rest.length === 2 && rest[0] === 'devices' && deviceNameProblem(rest[1] ?? '') === undefined) {
      return { topic: 'device', device: rest[1] as string };
    }
    return undefined;
  }
}

export type FleetTopic = { topic: 'summary' } | { topic: 'events' } | { topic: 'device'; device: string };

/** The MQTT client id an agent uses; the broker ties it to the device's topic subtree. */
export function agentClientId(device: string): string {
  return `flotilla-agent-${device}`;
}

export function deviceOfClientId(clientId: string): string | undefined {
  const head = 'flotilla-agent-';
  if (!clientId.startsWith(head)) return undefined;
  const device = clientId.slice(head.length);
  return deviceNameProblem(device) === undefined ? device : undefined;
}
