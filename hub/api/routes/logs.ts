/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log?container=&follow=&tailLines=&sinceSeconds=&timestamps=`:
 * a container's log, fetched from the pod's device over MQTT and streamed as plain text, as
 * Kubernetes' pod log endpoint streams it.
 *
 * What can be known before the device answers (a bad parameter, a pod not bound, a device
 * removed or Offline, a device that refuses or stays silent) comes back as the usual JSON
 * error with its status. Once the log has begun the status is sent; an error after that (the
 * device went silent in the middle of a follow) ends the body and comes in the trailer
 * `X-Flotilla-Error`, an ErrorBody in JSON, URI-encoded.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { FlotillaError } from '../../../shared/errors.js';
import type { Device, Pod } from '../../../shared/objects.js';
import type { DeviceLogSource, LogExchange, LogQuery, LogReceiver } from '../../dispatch/device-requests.js';
import type { Store } from '../../store/store.js';
import type { LiveStatusLookup } from '../device-live.js';

export const LOG_ERROR_TRAILER = 'X-Flotilla-Error';

/** The parameters the endpoint takes, as Kubernetes names them. */
export interface LogParameters {
  container?: string;
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps: boolean;
}

const PARAMETERS = ['container', 'follow', 'tailLines', 'sinceSeconds', 'timestamps'] as const;

function badParameter(name: string, value: string, problem: string): FlotillaError {
  return new FlotillaError('BadRequest', `invalid ${name} "${value}": ${problem}`, { details: [{ field: name, message: problem }] });
}

function flag(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badParameter(name, value, 'must be true or false');
}

/** A whole number of at least `least`; `unit` names what it counts, for the message. */
function wholeNumber(name: string, value: string | undefined, least: number, unit: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  const problem = `must be a whole number of ${unit}, ${least} or more`;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || number < least) throw badParameter(name, value, problem);
  return number;
}

/** The query string as the endpoint's parameters; anything wrong is a 400 naming the parameter. */
export function parseLogParameters(query: Record<string, unknown>): LogParameters {
  const text: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new FlotillaError('BadRequest', `unknown parameter ${name}: the log endpoint takes ${PARAMETERS.join(', ')}`, { details: [{ field: name, message: 'is not a known parameter' }] });
    }
    if (typeof value !== 'string') throw badParameter(name, String(value), 'must be given once');
    text[name] = value;
  }
  const parameters: LogParameters = { follow: flag('follow', text['follow']), timestamps: flag('timestamps', text['timestamps']) };
  if (text['container'] !== undefined && text['container'] !== '') parameters.container = text['container'];
  const tailLines = wholeNumber('tailLines', text['tailLines'], 0, 'lines');
  if (tailLines !== undefined) parameters.tailLines = tailLines;
  const sinceSeconds = wholeNumber('sinceSeconds', text['sinceSeconds'], 1, 'seconds');
  if (sinceSeconds !== undefined) parameters.sinceSeconds = sinceSeconds;
  return parameters;
}

/** The container to read: the one named, or the pod's only one. */
export function containerOf(pod: Pod, requested: string | undefined): string {
  const names = pod.spec.containers.map((container) => container.name);
  const name = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
  if (requested === undefined) {
    if (names.length === 1) return names[0] as string;
    throw new FlotillaError('BadRequest', `pod ${name} has ${names.length} containers: name one of ${names.join(', ')}`, {
      details: [{ field: 'container', message: `must be one of ${names.join(', ')}` }],
      hint: `flotilla logs ${pod.metadata.name} -c ${names[0] ?? '<container>'}`,
    });
  }
  if (names.includes(requested)) return requested;
  throw new FlotillaError('BadRequest', `pod ${name} has no container "${requested}"; its containers are: ${names.join(', ')}`, {
    details: [{ field: 'container', message: `must be one of ${names.join(', ')}` }],
  });
}

/** `2026-01-02T03:04:05.000Z (3m12s ago)`. */
function lastContact(lastSeen: string | undefined, now: number): string {
  if (lastSeen === undefined) return 'never recorded';
  const at = Date.parse(lastSeen);
  if (Number.isNaN(at)) return lastSeen;
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  const ago = seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${lastSeen} (${ago} ago)`;
}

/** The device the pod's log is on, if it can be asked; a clear 4xx or 503 if not. */
async function deviceOf(store: Store, liveOf: LiveStatusLookup, pod: Pod): Promise<Device> {
  const podName = pod.metadata.name;
  const namespace = pod.metadata.namespace ?? 'default';
  const nodeName = pod.spec.nodeName;
  if (!nodeName) {
    throw new FlotillaError('BadRequest', `pod ${namespace}/${podName} is not bound to a device yet: it has no log`, {
      hint: `see why it waits: flotilla describe pod ${podName} -n ${namespace}`,
    });
  }
  const device = await store.get('Device', undefined, nodeName);
  if (device === undefined) {
    throw new FlotillaError('Gone', `pod ${namespace}/${podName} was on device ${nodeName}, which has been removed from the fleet: its log cannot be fetched`, {
      hint: `delete the pod (flotilla delete pod ${podName} -n ${namespace}); a Deployment's pods are placed again elsewhere`,
    });
  }
  if (device.status?.state === 'Offline') {
    const seen = liveOf(nodeName)?.lastSeen ?? device.status.lastSeen;
    throw new FlotillaError('Unavailable', `device ${nodeName} is Offline: logs cannot be fetched; the device's last contact was ${lastContact(seen, Date.now())}`, {
      hint: 'the device keeps its logs: ask again once it is back (flotilla get devices)',
    });
  }
  return device;
}

export interface LogRouteOptions {
  store: Store;
  /** Absent only where the API runs without a broker link (tests of other routes). */
  logs: DeviceLogSource | undefined;
  liveOf: LiveStatusLookup;
}

export function registerLogRoutes(app: FastifyInstance, options: LogRouteOptions): void {
  const { store, logs, liveOf } = options;
  /** Ends each log response still open: the hub is stopping, and a follow would hold it up. */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  // No HEAD twin: it would ask a device for a log only to throw it away.
  app.get<{ Params: { namespace: string; name: string }; Querystring: Record<string, unknown> }>('/api/v1/namespaces/:namespace/pods/:name/log', { exposeHeadRoute: false }, async (request, reply) => {
    const parameters = parseLogParameters(request.query);
    const { namespace, name } = request.params;
    const pod = await store.get('Pod', namespace, name);
    if (pod === undefined) {
      throw new FlotillaError('NotFound', `pod ${namespace}/${name} not found`, { hint: `list them with: flotilla get pods -n ${namespace}` });
    }
    const container = containerOf(pod, parameters.container);
    const device = await deviceOf(store, liveOf, pod);
    if (logs === undefined) throw new FlotillaError('Unavailable', 'this hub has no link to its devices: it cannot fetch logs');
    const query: LogQuery = {
      namespace,
      podName: name,
      podUid: pod.metadata.uid ?? '',
      container,
      follow: parameters.follow,
      timestamps: parameters.timestamps,
      ...(parameters.tailLines === undefined ? {} : { tailLines: parameters.tailLines }),
      ...(parameters.sinceSeconds === undefined ? {} : { sinceSeconds: parameters.sinceSeconds }),
    };
    await streamLog(reply, open, (receiver) => logs.openLogs(device.metadata.name, query, receiver));
  });
}

/**
 * Answers with the log as it comes. Resolves when the response is over; rejects (for the
 * error handler's JSON answer) only when the exchange failed before the log began.
 */
function streamLog(reply: FastifyReply, open: Set<() => void>, start: (receiver: LogReceiver) => LogExchange): Promise<void> {
  return new Promise((resolve, reject) => {
    const response: ServerResponse = reply.raw;
    let started = false;
    let over = false;
    let exchange: LogExchange | undefined;
    const settle = (): void => {
      over = true;
      open.delete(stopping);
      response.off('close', onClose);
    };
    const begin = (): void => {
      started = true;
      reply.hijack();
      response.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        trailer: LOG_ERROR_TRAILER,
      });
      // The headers go now: a follow of a quiet container may not write for a long time.
      response.flushHeaders();
    };
    const receiver: LogReceiver = {
      accepted: begin,
      data(bytes) {
        if (!over && !response.destroyed) response.write(bytes);
      },
      end(error) {
        if (over) return;
        if (!started && error !== undefined) {
          settle();
          reject(error);
          return;
        }
        if (!started) begin();
        if (error !== undefined) response.addTrailers({ [LOG_ERROR_TRAILER]: encodeURIComponent(JSON.stringify(error.toBody())) });
        settle();
        response.end();
        resolve();
      },
    };
    // The reader left (a follow interrupted, a pipe closed): the device stops too.
    const onClose = (): void => {
      if (over || response.writableFinished) return;
      exchange?.cancel();
      settle();
      if (!started) reply.hijack();
      resolve();
    };
    const stopping = (): void => {
      exchange?.cancel();
      receiver.end(new FlotillaError('Unavailable', 'the hub is stopping', { hint: 'ask again once it is back' }));
    };
    response.on('close', onClose);
    open.add(stopping);
    exchange = start(receiver);
  });
}
