/**
 * Runtime adapters by name, as `--runtime` and firmware profiles spell them. Podman and
 * balenaEngine serve the Docker Engine API, so their names lead to the same adapter.
 */
import { FlotillaError } from '../../shared/errors.js';
import { createDockerRuntime } from './docker.js';
import type { ContainerRuntime, RuntimeFactory, RuntimeOptions } from './runtime.js';

const factories = new Map<string, RuntimeFactory>();

/** Adds an adapter; a name is registered once, so two adapters never silently shadow each other. */
export function registerRuntime(name: string, factory: RuntimeFactory): void {
  if (factories.has(name)) {
    throw new FlotillaError('AlreadyExists', `a container runtime named "${name}" is already registered`);
  }
  factories.set(name, factory);
}

/** Registered names, sorted. */
export function knownRuntimes(): string[] {
  return [...factories.keys()].sort();
}

export function createRuntime(name: string, options: RuntimeOptions): ContainerRuntime {
  const factory = factories.get(name);
  if (factory === undefined) {
    throw new FlotillaError('Invalid', `unknown container runtime "${name}"; known runtimes: ${knownRuntimes().join(', ')}`, {
      details: [{ field: 'runtime', message: `expected one of ${knownRuntimes().join(', ')}` }],
    });
  }
  return factory(options);
}

registerRuntime('docker', createDockerRuntime);
registerRuntime('podman', createDockerRuntime);
registerRuntime('balena-engine', createDockerRuntime);
