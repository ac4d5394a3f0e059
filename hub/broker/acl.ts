/**
 * Who may publish and subscribe where. An agent's MQTT client id names its device, and the
 * device may only touch its own subtree: publish its uplink channels, subscribe its desired
 * state. The hub (and, on a development listener, any other client) may read anything,
 * publish desired state and fleet topics, and never speak for a device. A watcher reads the
 * public fleet topics and nothing else: desired states may carry a device's secrets.
 *
 * Requests to a device (`req/...`, logs) are the hub's to make and the device's alone to read;
 * answers (`res/...`) are the device's alone to give. A watcher may do neither.
 */
import { AGENT_PUBLISHED_CHANNELS, deviceOfClientId, type ExchangeTopic, type Topics } from '../../shared/topics.js';

/** Why a publish is refused, or undefined when it is allowed. */
export function publishDenial(topics: Topics, clientId: string, topic: string): string | undefined {
  if (topic.startsWith('$SYS/')) return '$SYS/ topics are reserved for the broker';
  const device = deviceOfClientId(clientId);
  const exchange = topics.parseExchange(topic);
  if (exchange !== undefined) return exchangePublishDenial(topics, device, exchange);
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

/** A device answers its own requests only; anyone else (the hub) asks, and never answers for a device. */
function exchangePublishDenial(topics: Topics, device: string | undefined, exchange: ExchangeTopic): string | undefined {
  if (device === undefined) {
    return exchange.direction === 'res' ? `only device ${exchange.device} may answer on ${topics.deviceResponse(exchange.device, exchange.kind, exchange.id)}` : undefined;
  }
  if (exchange.device !== device) return `device ${device} may only publish under ${topics.deviceTree(device)}`;
  if (exchange.direction === 'req') return `device ${device} may not publish requests to itself; it answers on ${topics.deviceResponse(device, exchange.kind, '{id}')}`;
  return undefined;
}

/** Why a subscription is refused, or undefined when it is allowed. */
export function subscribeDenial(topics: Topics, clientId: string, filter: string): string | undefined {
  const device = deviceOfClientId(clientId);
  if (device === undefined) return undefined;
  const allowed = [topics.device(device, 'desired'), ...topics.deviceRequests(device)];
  if (allowed.includes(filter)) return undefined;
  return `device ${device} may only subscribe to ${allowed.join(' and ')}`;
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
