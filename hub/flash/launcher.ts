/**
 * What the unit starts: a small shell script that finds Node.js and runs the one-file agent.
 * The unit names this script rather than a node binary because where Node.js lives differs by
 * how it got there (NodeSource: /usr/bin, a carried binary: beside the agent), and a missing or
 * old one is then reported in the journal in words, not as a syntax error.
 */
import type { FirmwareProfile } from '../../agent/profile.js';
import { posix } from 'node:path';
import type { DeviceLayout } from './device-layout.js';
import { nodeAdvice } from './node-advice.js';
import { shellQuote } from './shell.js';

export function launcherScript(profile: Pick<FirmwareProfile, 'arch' | 'armVersion' | 'node'>, layout: DeviceLayout): string {
  const installDir = posix.dirname(posix.dirname(layout.launcher));
  // Paths relative to the script, so a copy under another root (an image being prepared) runs too.
  const node = posix.relative(installDir, layout.bundledNode);
  const agent = posix.relative(installDir, layout.agentScript);
  const major = profile.node.minimumVersion;
  return `#!/bin/sh
# Runs the Flotilla agent with this device's Node.js: the one installed beside the agent if
# there is one, else the first on PATH. Settings come from FLOTILLA_* variables.
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd) || exit 1
node="$here/${node}"
if [ ! -x "$node" ]; then
  node=$(command -v node) || {
    echo "flotilla-agent: Node.js is not installed; "${shellQuote(nodeAdvice(profile, layout))} >&2
    exit 1
  }
fi
version=$("$node" --version 2>/dev/null) || version=unknown
major=\${version#v}
major=\${major%%.*}
case $major in
  ''|*[!0-9]*) major=0 ;;
esac
if [ "$major" -lt ${major} ]; then
  echo "flotilla-agent: $node is Node.js $version; the agent needs ${major} or later: "${shellQuote(nodeAdvice(profile, layout))} >&2
  exit 1
fi
exec "$node" "$here/${agent}" "$@"
`;
}
