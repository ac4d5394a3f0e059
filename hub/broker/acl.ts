/**
 * Who may publish and subscribe where. An agent's MQTT client id names its device, and the
 * device may only touch its own subtree: publish its uplink channels, subscribe its desired
 * state. The hub (and, on a development listener, any other client) may read anything,
 * publish desired state and fleet topics, and never speak for a device. A watcher reads the
 * public fleet topics and nothing else: desired states may carry a device's secrets.
 */
import { AGENT_PUBLISHED_CHANNELS, deviceOfClientId, type Topics } from '../../shared/topics.js';

/** Why a publish is refused, or undefined when it is allowed. */
export function publishDenial(topics: Topics, clientId: string, topic: string): string | undefined {
  if (topic.startsWith('$SYS/')) return '$SYS/ topics are reserved for the broker';
  const device = deviceOfClientId(clientId);
  const target = topics.parseDevice(topic);
  if (device !== undefined) {
    if (target?.device !== device) return `device ${device} may only publish under ${topics.deviceTree(device)}`;
    if (!AGENT_PUBLISHED_CHANNELS.includes(target.channel)) {
      return `device ${device} may not publish on its ${target.channel} channel`;
    }
    return undefined;
  }
  if (target && AGENT_PUBLISHED_CHANNELS.includes(target.channel)) {
    return `only device ${target.device} may publish on ${topic}`;
  }
  if (topic.startsWith(`${topics.prefix}/d/`) && target === undefined) {
    return `${topic} is not a device topic`;
  }
  return undefined;
}

/** Why a subscription is refused, or undefined when it is allowed. */
export function subscribeDenial(topics: Topics, clientId: string, filter: string): string | undefined {
  const device = deviceOfClientId(clientId);
  if (device === undefined) return undefined;
  if (filter === topics.device(device, 'desired')) return undefined;
  return `device ${device} may only subscribe to ${topics.device(device, 'desired')}`;
}

/** Why a watcher may not publish: it never may. */
export function watcherPublishDenial(name: string, topic: string): string {
  return `watcher ${name} may not publish (${topic}); watchers read the fleet topics only`;
}

/** Why a watcher's subscription is refused, or undefined when it stays within the fleet topics. */
export function watcherSubscribeDenial(topics: Topics, name: string, filter: string): string | undefined {
  const fleet = `${topics.prefix}/fleet`;
  if (filter === `${fleet}/#` || filter.startsWith(`${fleet}/`)) return undefined;
  return `watcher ${name} may only subscribe under ${fleet}/#`;
}
