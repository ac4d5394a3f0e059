/**
 * The agent's config file: FLOTILLA_* variables, one KEY=value a line, which the unit loads
 * with EnvironmentFile= and the agent reads as it reads its flags' variables. It holds the
 * join token, so it is installed readable by root only.
 */
import { FlotillaError } from '../../shared/errors.js';
import { UNIT_FILE_NAME, type DeviceLayout } from './device-layout.js';

export interface AgentSettings {
  profile: string;
  token: string;
  /** Labels given at flash time, as role=camera,site=a; the profile's own come from its file. */
  labels?: string;
  /** Absent: the device takes its host name. */
  deviceName?: string;
}

/** Values systemd and a POSIX shell both read unquoted and unchanged. */
const PLAIN_VALUE = /^[A-Za-z0-9_@%+=:,./-]*$/;

/** The config file's text; the variables are those of `flotilla agent --help`. */
export function agentEnvironment(settings: AgentSettings, layout: DeviceLayout): string {
  const variables: [string, string][] = [
    ['FLOTILLA_PROFILE', layout.profileFile],
    ['FLOTILLA_JOIN_TOKEN', settings.token],
    ['FLOTILLA_CA_FILE', layout.caFile],
    ['FLOTILLA_STATE_DIR', layout.stateDir],
  ];
  if (settings.labels !== undefined && settings.labels !== '') variables.push(['FLOTILLA_LABELS', settings.labels]);
  if (settings.deviceName !== undefined) variables.push(['FLOTILLA_DEVICE_NAME', settings.deviceName]);
  for (const [name, value] of variables) {
    if (!PLAIN_VALUE.test(value)) {
      throw new FlotillaError('Invalid', `${name} cannot be written to the agent's config file: "${value}" has spaces, quotes or other characters that need quoting`, {
        details: [{ field: name, message: 'must be letters, digits and _@%+=:,./- only' }],
      });
    }
  }
  const header = [
    `# Flotilla agent settings (firmware profile ${settings.profile}), loaded by ${UNIT_FILE_NAME}.`,
    '# The join token is used once, on first start, to enrol; after that the device',
    `# authenticates with the certificate it keeps in ${layout.stateDir}.`,
  ];
  return `${header.join('\n')}\n${variables.map(([name, value]) => `${name}=${value}`).join('\n')}\n`;
}

/** The variables of a config file, as systemd reads unquoted KEY=value lines; comments and blanks skipped. */
export function parseAgentEnvironment(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals > 0) variables[trimmed.slice(0, equals)] = trimmed.slice(equals + 1);
  }
  return variables;
}
