/**
 * Where the container engine's API listens. Docker, Podman and balenaEngine all speak the
 * Docker Engine API, each on its own well-known socket; the agent takes the first that exists
 * unless told otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FlotillaError } from '../../shared/errors.js';

export const ENDPOINT_ENV = 'FLOTILLA_RUNTIME_ENDPOINT';

/** Rootful sockets, most specific first: a Podman host may also carry a Docker client. */
export const SYSTEM_ENGINE_SOCKETS = [
  '/run/podman/podman.sock',
  '/var/run/docker.sock',
  '/var/run/balena-engine.sock',
] as const;

export interface EndpointLookup {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to a file-system check; tests pass their own. */
  exists?: (path: string) => boolean;
}

/** The sockets looked at, in order: the system ones, then rootless Podman's. */
export function engineSocketCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates: string[] = [...SYSTEM_ENGINE_SOCKETS];
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir) candidates.push(join(runtimeDir, 'podman', 'podman.sock'));
  return candidates;
}

/**
 * The endpoint to use: the one given (a flag), else FLOTILLA_RUNTIME_ENDPOINT, else the first
 * socket of engineSocketCandidates() that exists. A given endpoint is returned as is: whether
 * it answers shows on first use, with the endpoint named in the error.
 */
export function resolveEngineEndpoint(given?: string, lookup: EndpointLookup = {}): string {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? existsSync;
  if (given) return given;
  const fromEnv = env[ENDPOINT_ENV];
  if (fromEnv) return fromEnv;
  const candidates = engineSocketCandidates(env);
  const found = candidates.find((path) => exists(path));
  if (found !== undefined) return found;
  throw new FlotillaError('Unavailable', `no container engine socket found; tried ${candidates.join(', ')}`, {
    hint:
      'start Podman\'s API service (`podman system service --time=0 unix:///run/podman/podman.sock &`, ' +
      'or `systemctl enable --now podman.socket`), start Docker, or pass the endpoint with ' +
      `--runtime-endpoint / ${ENDPOINT_ENV}`,
  });
}

/** How dockerode reaches an endpoint: a unix socket path, or a host and port. */
export type EngineAddress =
  | { socketPath: string }
  | { protocol: 'http' | 'https'; host: string; port: number };

/** Accepts `/path.sock`, `unix:///path.sock`, `http://host:port`, `https://host:port` and `tcp://host:port`. */
export function parseEngineEndpoint(endpoint: string): EngineAddress {
  if (endpoint.startsWith('/')) return { socketPath: endpoint };
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (socketPath.startsWith('/')) return { socketPath };
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'tcp:') && url.hostname) {
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port ? Number(url.port) : protocol === 'https' ? 2376 : 2375;
    // URL keeps the brackets of an IPv6 literal; the http module wants the bare address.
    return { protocol, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  }
  throw new FlotillaError('Invalid', `runtime endpoint "${endpoint}" is not a socket path or an http(s)/tcp URL`, {
    details: [{ field: 'runtimeEndpoint', message: 'expected /path/to/engine.sock, unix:///path, or http://host:port' }],
  });
}
