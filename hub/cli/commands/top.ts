/**
 * `flotilla top devices [-l selector]` and `flotilla top pods [-n ns | -A] [-l selector]`:
 * what devices and pods use now, from the hub's live figures (heartbeats, pod stats reports).
 */
import { podMetricsPath, type PodMetricsList } from '../../../shared/metrics.js';
import type { Device } from '../../../shared/objects.js';
import { selectorProblem } from '../../../shared/selector.js';
import { apiPath, commandContext, write, writeError } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { topDevicesTable, topPodsTable, TOP_SORTS, type TopSort } from '../format/top.js';

export interface TopOptions extends GlobalOptions {
  selector?: string;
  allNamespaces?: boolean;
  /** For pods: one row per container. */
  containers?: boolean;
  sortBy?: string;
}

const DEVICE_WORDS = ['devices', 'device', 'dev', 'nodes', 'node', 'no'];
const POD_WORDS = ['pods', 'pod', 'po'];

export async function runTop(type: string, options: TopOptions): Promise<void> {
  const word = type.toLowerCase();
  if (options.selector !== undefined) {
    const problem = selectorProblem(options.selector);
    if (problem !== undefined) throw usageError(`invalid -l "${options.selector}": ${problem}`, 'selectors look like role=camera,site in (a,b),!decommissioned');
  }
  const sortBy = sortOf(options.sortBy);
  if (DEVICE_WORDS.includes(word)) return topDevices(options, sortBy);
  if (POD_WORDS.includes(word)) return topPods(options, sortBy);
  throw usageError(`top shows devices or pods, not "${type}"`, 'flotilla top devices, or flotilla top pods');
}

function sortOf(text: string | undefined): TopSort | undefined {
  if (text === undefined) return undefined;
  if (!(TOP_SORTS as readonly string[]).includes(text)) throw usageError(`invalid --sort-by "${text}": sort by ${TOP_SORTS.join(' or ')}`);
  return text as TopSort;
}

async function topDevices(options: TopOptions, sortBy: TopSort | undefined): Promise<void> {
  if (options.containers === true) throw usageError('--containers applies to top pods only');
  const context = commandContext(options);
  const list = await context.client.get<{ items: Device[] }>(apiPath('Device', undefined), { labelSelector: options.selector });
  if (list.items.length === 0) {
    writeError(options.selector === undefined ? 'No devices found\n' : `No devices match ${options.selector}\n`);
    return;
  }
  write(topDevicesTable(list.items, sortBy === undefined ? {} : { sortBy }));
}

async function topPods(options: TopOptions, sortBy: TopSort | undefined): Promise<void> {
  const context = commandContext(options);
  const allNamespaces = options.allNamespaces === true;
  const list = await context.client.get<PodMetricsList>(podMetricsPath(allNamespaces ? undefined : context.namespace), { labelSelector: options.selector });
  if (list.items.length === 0) {
    const where = allNamespaces ? '' : ` in ${context.namespace} namespace`;
    writeError(`No pod figures${where}: devices report them for running pods every 30 s by default (flotilla agent --pod-stats-interval)\n`);
    return;
  }
  write(topPodsTable(list.items, { allNamespaces, ...(options.containers === true ? { containers: true } : {}), ...(sortBy === undefined ? {} : { sortBy }) }));
}
