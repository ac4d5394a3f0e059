/**
 * `flotilla agent`: runs a device's agent until stopped. The one place hub/ code reaches
 * into agent/, and only by a dynamic import, so the CLI's other commands never load it and
 * this one loads nothing of the hub.
 */
import { resolveAgentOptions } from '../options/agent-options.js';
import type { AgentFlags } from '../options/agent-options.js';
import { runUntilSignal } from '../run-until-signal.js';
import { setting } from '../options/values.js';

export async function runAgent(flags: AgentFlags): Promise<void> {
  const { defaultAgentOptions } = await import('../../../agent/config.js');
  const profileName = setting('--profile', flags.profile, process.env, 'FLOTILLA_PROFILE');
  let defaults = defaultAgentOptions;
  if (profileName !== undefined) {
    const { loadFirmwareProfile, profileDefaults } = await import('../../../agent/profile.js');
    defaults = profileDefaults(loadFirmwareProfile(profileName.value), defaultAgentOptions);
  }
  const options = resolveAgentOptions(flags, defaults);
  const { startAgent } = await import('../../../agent/main.js');
  await runUntilSignal(() => startAgent(options));
}
