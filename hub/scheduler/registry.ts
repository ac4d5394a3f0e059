/**
 * Scheduler plugins by name, as kube-scheduler's Registry: the hub's settings name the
 * plugins to run, and out-of-tree plugins join by merging their own registry into the
 * in-tree one. Every name is registered once; a second registration is refused rather than
 * silently replacing a plugin.
 */
import { FlotillaError } from '../../shared/errors.js';
import type { Plugin } from './framework.js';
import * as devicePlatform from './plugins/device-platform/index.js';
import * as devicePressure from './plugins/device-pressure/index.js';
import * as deviceReady from './plugins/device-ready/index.js';
import * as deviceSelector from './plugins/device-selector/index.js';
import * as labelSpread from './plugins/label-spread/index.js';
import * as leastAllocated from './plugins/least-allocated/index.js';
import * as nodeName from './plugins/node-name/index.js';
import * as podsPerDevice from './plugins/pods-per-device/index.js';
import * as resourcesFit from './plugins/resources-fit/index.js';
import * as spread from './plugins/spread/index.js';
import * as taintToleration from './plugins/taint-toleration/index.js';

/** Builds a plugin; `args` come from the scheduler configuration's pluginArgs, unchecked. */
export type PluginFactory = (args?: unknown) => Plugin;

export class Registry {
  private readonly factories = new Map<string, PluginFactory>();

  register(name: string, factory: PluginFactory): void {
    if (this.factories.has(name)) {
      throw new FlotillaError('AlreadyExists', `a scheduler plugin named "${name}" is already registered`, {
        hint: 'give the plugin a name of its own',
      });
    }
    this.factories.set(name, factory);
  }

  unregister(name: string): void {
    if (!this.factories.delete(name)) {
      throw new FlotillaError('NotFound', `no scheduler plugin named "${name}" is registered`);
    }
  }

  /** Adds every plugin of `other`; refuses, adding none, when any name is taken. */
  merge(other: Registry): void {
    const taken = other.names().filter((name) => this.factories.has(name));
    if (taken.length > 0) {
      throw new FlotillaError('AlreadyExists', `scheduler plugins already registered: ${taken.join(', ')}`, {
        hint: 'give the plugins names of their own',
      });
    }
    for (const [name, factory] of other.factories) this.factories.set(name, factory);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** A new instance of the plugin; throws NotFound, listing what is registered, for an unknown name. */
  create(name: string, args?: unknown): Plugin {
    const factory = this.factories.get(name);
    if (factory === undefined) {
      throw new FlotillaError('NotFound', `no scheduler plugin named "${name}" is registered`, {
        hint: `registered plugins: ${this.names().join(', ')}`,
      });
    }
    const plugin = factory(args);
    if (plugin.name !== name) {
      // Diagnoses name plugins by plugin.name: a mismatch would blame a plugin nobody configured.
      throw new FlotillaError('Internal', `scheduler plugin registered as "${name}" calls itself "${plugin.name}"`);
    }
    return plugin;
  }
}

/** The plugins that ship with the hub. */
export function inTreeRegistry(): Registry {
  const registry = new Registry();
  const plugins: { NAME: string; create: PluginFactory }[] = [
    devicePlatform,
    deviceReady,
    deviceSelector,
    labelSpread,
    leastAllocated,
    nodeName,
    podsPerDevice,
    resourcesFit,
    spread,
    taintToleration,
  ];
  for (const plugin of plugins) registry.register(plugin.NAME, plugin.create);
  registry.register(devicePressure.NAME, devicePressure.create);
  return registry;
}
