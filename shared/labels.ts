/**
 * Label keys and values, with Kubernetes' rules, and the two ways people write label changes:
 * `flotilla label device role=camera zone-` (kubectl's syntax) and the agent's
 * `--labels role=camera,site=a`.
 *
 * A key is an optional prefix and a name, `example.com/role`: the prefix a DNS subdomain, the
 * name at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or
 * digit. A value follows the rules of a name, or is empty.
 */
import { FlotillaError } from './errors.js';
import type { Labels } from './objects.js';

/** Labels every device announces: its board family (from its firmware profile) and CPU architecture. */
export const BOARD_LABEL = 'flotilla.io/board';
export const ARCH_LABEL = 'flotilla.io/arch';

export const LABEL_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;
export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_CHARSET = 'letters, digits, "-", "_" and ".", starting and ending with a letter or digit';

/** What is wrong with a label key (also the rule for annotation keys), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'a label key must not be empty';
  const parts = key.split('/');
  if (parts.length > 2) return `label key "${key}" has more than one "/": write prefix/name, as example.com/role`;
  const [prefix, name] = parts.length === 2 ? (parts as [string, string]) : [undefined, key];
  if (prefix !== undefined) {
    if (prefix.length === 0) return `label key "${key}" has an empty prefix before "/"`;
    const problem = dnsSubdomainProblem(prefix);
    if (problem !== undefined) return `prefix "${prefix}" of label key "${key}" ${problem}`;
  }
  if (name.length === 0) return `label key "${key}" has an empty name after "/"`;
  if (name.length > LABEL_NAME_MAX) {
    return `label key "${key}": the name must be at most ${LABEL_NAME_MAX} characters (it has ${name.length})`;
  }
  if (!LABEL_NAME.test(name)) return `label key "${key}": the name may contain only ${NAME_CHARSET}`;
  return undefined;
}

/** What is wrong with a label value, or undefined. The empty value is valid. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > LABEL_VALUE_MAX) {
    return `label value "${value}" must be at most ${LABEL_VALUE_MAX} characters (it has ${value.length})`;
  }
  if (!LABEL_NAME.test(value)) return `label value "${value}" may contain only ${NAME_CHARSET}, or be empty`;
  return undefined;
}

/** RFC 1123 label, the rule for object names: `camera-7`. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DNS_LABEL_MAX) return `must be at most ${DNS_LABEL_MAX} characters (it has ${name.length})`;
  if (!DNS_LABEL.test(name)) {
    return 'must consist of lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** RFC 1123 subdomain, dot-separated labels: `example.com`. */
export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DNS_SUBDOMAIN_MAX) return `must be at most ${DNS_SUBDOMAIN_MAX} characters`;
  if (!DNS_SUBDOMAIN.test(name)) {
    return 'must be a lower-case DNS subdomain: letters, digits, "-" and ".", as example.com';
  }
  return undefined;
}

export interface LabelChanges {
  set: Labels;
  remove: string[];
}

/**
 * kubectl label syntax: each argument is `key=value` (set) or `key-` (remove), and an argument
 * may hold several, comma-separated (`role=camera,site=a`). Giving the same key twice with
 * different values, or setting and removing one key, is refused.
 */
export function parseLabelChanges(args: readonly string[]): LabelChanges {
  const set: Labels = {};
  const remove: string[] = [];
  for (const arg of args) {
    for (const entry of splitEntries(arg)) {
      if (!entry.includes('=') && entry.endsWith('-')) {
        const key = entry.slice(0, -1);
        checkKey(key, arg);
        if (Object.hasOwn(set, key)) throw labelError(arg, `label "${key}" is both set and removed`);
        if (!remove.includes(key)) remove.push(key);
        continue;
      }
      const [key, value] = splitAssignment(entry, arg, 'key=value to set a label, or key- to remove one');
      if (remove.includes(key)) throw labelError(arg, `label "${key}" is both set and removed`);
      assign(set, key, value, arg);
    }
  }
  return { set, remove };
}

/** `role=camera,site=a` → `{role: 'camera', site: 'a'}`; the empty text is no labels. */
export function parseLabelList(text: string): Labels {
  const labels: Labels = {};
  for (const entry of splitEntries(text)) {
    const [key, value] = splitAssignment(entry, text, 'a comma-separated list of key=value');
    assign(labels, key, value, text);
  }
  return labels;
}

function splitEntries(arg: string): string[] {
  if (arg.trim().length === 0) return [];
  const entries = arg.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry.length === 0)) {
    throw labelError(arg, 'has an empty entry between commas');
  }
  return entries;
}

function splitAssignment(entry: string, arg: string, expected: string): [string, string] {
  const equals = entry.indexOf('=');
  if (equals < 0) throw labelError(arg, `"${entry}" is not ${expected}`);
  const key = entry.slice(0, equals).trim();
  const value = entry.slice(equals + 1).trim();
  checkKey(key, arg);
  const problem = labelValueProblem(value);
  if (problem !== undefined) throw labelError(arg, problem);
  return [key, value];
}

function assign(labels: Labels, key: string, value: string, arg: string): void {
  const previous = Object.hasOwn(labels, key) ? labels[key] : undefined;
  if (previous !== undefined && previous !== value) {
    throw labelError(arg, `label "${key}" is given twice, as "${previous}" and "${value}"`);
  }
  labels[key] = value;
}

function checkKey(key: string, arg: string): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) throw labelError(arg, problem);
}

function labelError(arg: string, problem: string): FlotillaError {
  const message = `invalid label argument "${arg}": ${problem}`;
  return new FlotillaError('Invalid', message, {
    details: [{ field: 'labels', message }],
    hint: 'write key=value to set a label and key- to remove one, e.g. role=camera site=plant-3 old-',
  });
}
