#!/usr/bin/env node
/**
 * `flotilla-agent`: the entry of an install bundle's one-file agent. The program is the
 * `agent` command itself, so a service starts it with no arguments and every setting comes
 * from FLOTILLA_* variables.
 */
import { Command } from 'commander';
import { configureAgentCommand } from './agent-command.js';
import { runCommandLine } from './errors.js';

// Loaded lazily into the bundle like every other part of the agent; only the version is read here.
const { AGENT_VERSION } = await import('../../agent/main.js');

const program = configureAgentCommand(
  new Command('flotilla-agent')
    .description("A device's Flotilla agent: it joins the fleet, takes pods from the hub and runs them with the local container engine")
    .version(AGENT_VERSION)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)'),
);

await runCommandLine(program);
