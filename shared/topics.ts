/**
 * Every MQTT topic string of Flotilla is built and parsed here, nowhere else.
 *
 *   {prefix}/d/{device}/desired     hub → agent, QoS 1, retained   DesiredState (protobuf)
 *   {prefix}/d/{device}/birth       agent → hub, QoS 1             Birth
 *   {prefix}/d/{device}/death       agent/broker Will → hub, QoS 1 Death
 *   {prefix}/d/{device}/heartbeat   agent → hub, QoS 0             Heartbeat
 *   {prefix}/d/{device}/status      agent → hub, QoS 1             StatusReport
 *   {prefix}/d/{device}/events      agent → hub, QoS 1             EventBatch
 *   {prefix}/fleet/devices/{device} hub → anyone, QoS 1, retained  JSON device health
 *   {prefix}/fleet/events           hub → anyone, QoS 1            JSON events
 */

export const DEFAULT_TOPIC_PREFIX = 'flotilla/v1';

export const DEVICE_CHANNELS = ['desired', 'birth', 'death', 'heartbeat', 'status', 'events'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Channels a device publishes on; the broker refuses it anything else. */
export const AGENT_PUBLISHED_CHANNELS: readonly DeviceChannel[] = ['birth', 'death', 'heartbeat', 'status', 'events'];

/** MQTT QoS and retain flag of each channel. */
export const CHANNEL_DELIVERY: Record<DeviceChannel, { qos: 0 | 1; retain: boolean }> = {
  desired: { qos: 1, retain: true },
  birth: { qos: 1, retain: false },
  death: { qos: 1, retain: false },
  heartbeat: { qos: 0, retain: false },
  status: { qos: 1, retain: false },
  // What happened on the device: each batch counts, none replaces another.
  events: { qos: 1, retain: false },
};

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
}

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
