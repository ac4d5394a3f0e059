/** `flotilla hub`: runs the hub (store, broker, scheduler, controllers, API) until stopped. */
import { resolveHubOptions } from '../options/hub-options.js';
import type { HubFlags } from '../options/hub-options.js';
import { runUntilSignal } from '../run-until-signal.js';

export async function runHub(flags: HubFlags): Promise<void> {
  const options = resolveHubOptions(flags);
  const { startHub } = await import('../../main.js');
  await runUntilSignal(() => startHub(options));
}
