/**
 * Reading a plugin's arguments from the hub's settings (`scheduler.pluginArgs.<plugin>`): an
 * object of known fields, each checked. A factory throws `invalidArgs(...)`, whose field paths
 * are relative to the plugin's arguments; buildProfile puts them under `pluginArgs.<plugin>`.
 */
import { invalid, type FieldError } from '../../shared/errors.js';
import type { FlotillaError } from '../../shared/errors.js';

export type Args = Record<string, unknown>;

/** The arguments as an object (none: `{}`), after checking that it names only `known` fields. */
export function argsObject(plugin: string, args: unknown, known: readonly string[]): Args {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw invalidArgs(plugin, [{ field: '', message: `must be an object with ${known.join(', ')}` }]);
  }
  const problems: FieldError[] = [];
  for (const field of Object.keys(args)) {
    if (!known.includes(field)) problems.push({ field, message: `is not an argument of ${plugin}; it takes ${known.join(', ')}` });
  }
  if (problems.length > 0) throw invalidArgs(plugin, problems);
  return args as Args;
}

export function invalidArgs(plugin: string, problems: FieldError[]): FlotillaError {
  return invalid(`arguments of scheduler plugin ${plugin}`, problems);
}
