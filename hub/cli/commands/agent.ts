/**
 * `flotilla agent`: runs a device's agent until stopped. The one place hub/ code reaches
 * into agent/, and only by a dynamic import, so the CLI's other commands never load it and
 * this one loads nothing of the hub.
 */
import { resolveAgentOptions } from '../options/agent-options.js';
import type { AgentFlags } from '../options/agent-options.js';
import { runUntilSignal } from '../run-until-signal.js';

export async function runAgent(flags: AgentFlags): Promise<void> {
  const { defaultAgentOptions } = await import('../../../agent/config.js');
  const options = resolveAgentOptions(flags, defaultAgentOptions);
  const { startAgent } = await import('../../../agent/main.js');
  await runUntilSignal(() => startAgent(options));
}
