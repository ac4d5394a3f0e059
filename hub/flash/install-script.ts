/**
 * The bundle's install.sh: POSIX sh for any device shell (dash, BusyBox ash, bash). It checks
 * what the agent needs and names whatever is missing with how to get it, then copies the
 * bundle's files into place and enables the service. Run again, it leaves alone every file
 * that is already right and restarts the agent only when something changed.
 *
 * With --root <dir> it installs into a mounted root filesystem instead (an SD card being
 * prepared): missing requirements are only warned about, and the service is enabled by the
 * link systemctl would make, so it starts on first boot.
 */
import type { FirmwareProfile } from '../../agent/profile.js';
import { SERVICE_NAME, type DeviceLayout } from './device-layout.js';
import { nodeAdvice } from './node-advice.js';
import type { DevicePayload } from './payload.js';
import { ENGINE_ADVICE, NODE_BINARIES, SYSTEMD_ADVICE, SYSTEMD_BINARIES, UNIT_DIRECTORIES } from './requirements.js';
import { shellQuote as q } from './shell.js';
import { ENGINE_UNITS } from './systemd-unit.js';

/** Where install.sh finds the files it installs: `files/<path on the device>`, beside itself. */
export const BUNDLE_FILES_DIRECTORY = 'files';

function octal(mode: number): string {
  return mode.toString(8);
}

export function installScript(profile: FirmwareProfile, layout: DeviceLayout, payload: DevicePayload): string {
  const major = profile.node.minimumVersion;
  const engineUnit = ENGINE_UNITS[profile.runtime];
  const installs = [
    ...payload.directories.map((d) => `ensure_directory ${octal(d.mode)} ${q(d.path)}`),
    ...payload.files.map((f) => `install_file ${octal(f.mode)} ${q(f.path)}`),
    `ensure_link ${q(payload.enableLink.path)} ${q(payload.enableLink.target)}`,
  ];
  return `#!/bin/sh
# Installs the Flotilla agent for firmware profile ${profile.name} on this device, or with
# --root <dir> into a mounted root filesystem. Safe to run again: what is already right is
# left alone.
set -eu
umask 022

usage() {
  cat <<'USAGE'
Usage: sh install.sh [--root <dir>]

Installs the Flotilla agent (firmware profile ${profile.name}) and starts it with systemd.
Run it as root on the device. It checks for systemd, Node.js ${major} or later and the
${profile.runtime} engine first, and says what is missing and how to get it.

  --root <dir>  install into the root filesystem mounted at <dir> (an SD card's root
                partition) instead; the agent starts and joins the fleet on first boot
USAGE
}

root=
while [ $# -gt 0 ]; do
  case $1 in
    --root)
      [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }
      root=$2
      shift 2
      ;;
    --root=*) root=\${1#--root=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
# --root / is this device itself.
while [ "\${root%/}" != "$root" ]; do root=\${root%/}; done

bundle=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
files=$bundle/${BUNDLE_FILES_DIRECTORY}
service=${SERVICE_NAME}

say() { printf '%s\\n' "$*"; }
fail() { printf 'install.sh: %s\\n' "$*" >&2; exit 1; }

if [ -n "$root" ]; then
  [ -d "$root/etc" ] || fail "$root does not look like a root filesystem: it has no etc/ directory (mount the SD card's root partition, usually the second, and give that)"
else
  [ "$(id -u)" = 0 ] || fail "run as root: sudo sh $0"
fi

# --- What the agent needs -------------------------------------------------------------
missing=0
lacks() {
  if [ -n "$root" ]; then
    printf 'warning: the image at %s lacks %s\\n' "$root" "$*" >&2
  else
    printf 'missing: %s\\n' "$*" >&2
    missing=$((missing + 1))
  fi
}
exists_in_root() {
  for path in "$@"; do
    [ -e "$root/$path" ] && return 0
  done
  return 1
}
node_major() {
  version=$("$1" --version 2>/dev/null) || version=v0
  version=\${version#v}
  version=\${version%%.*}
  case $version in '' | *[!0-9]*) version=0 ;; esac
  printf '%s\\n' "$version"
}

if [ -n "$root" ]; then
  exists_in_root ${SYSTEMD_BINARIES.map(q).join(' ')} || lacks "systemd: "${q(SYSTEMD_ADVICE)}
  # Its version can only be checked by running it, on the device: the agent's launcher does.
  exists_in_root ${[...NODE_BINARIES, layout.bundledNode.slice(1)].map(q).join(' ')} || [ -x "$files"${q(layout.bundledNode)} ] ||
    lacks "Node.js: "${q(nodeAdvice(profile, layout))}
  exists_in_root ${UNIT_DIRECTORIES.map((directory) => q(`${directory}/${engineUnit}`)).join(' ')} ||
    lacks ${q(`${profile.runtime} (no ${engineUnit}): ${ENGINE_ADVICE[profile.runtime]}`)}
else
  [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 || lacks "systemd as the init system: "${q(SYSTEMD_ADVICE)}
  node=
  for candidate in "$files"${q(layout.bundledNode)} ${q(layout.bundledNode)} "$(command -v node 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then node=$candidate; break; fi
  done
  if [ -z "$node" ]; then
    lacks "Node.js ${major} or later: "${q(nodeAdvice(profile, layout))}
  elif [ "$(node_major "$node")" -lt ${major} ]; then
    lacks "Node.js ${major} or later ($node is $("$node" --version 2>/dev/null || echo 'of unknown version')): "${q(nodeAdvice(profile, layout))}
  fi
  [ -S ${q(profile.runtimeEndpoint)} ] ||
    lacks ${q(`the ${profile.runtime} engine's API socket ${profile.runtimeEndpoint}: ${ENGINE_ADVICE[profile.runtime]}`)}
  [ "$missing" -eq 0 ] || fail "nothing was installed: add what is missing above, then run this again"
fi

# --- Files ----------------------------------------------------------------------------
changed=0
mode_of() { stat -c %a "$1" 2>/dev/null || echo none; }
ensure_directory() {
  target=$root$2
  if [ ! -d "$target" ]; then
    mkdir -p "$target"
    chmod "$1" "$target"
    say "created $2"
    changed=1
  elif [ "$(mode_of "$target")" != "$1" ]; then
    chmod "$1" "$target"
    say "set the mode of $2 to $1"
    changed=1
  fi
}
install_file() {
  target=$root$2
  if [ -f "$target" ] && cmp -s "$files$2" "$target"; then
    if [ "$(mode_of "$target")" != "$1" ]; then
      chmod "$1" "$target"
      say "set the mode of $2 to $1"
      changed=1
    fi
    return 0
  fi
  mkdir -p "$(dirname -- "$target")"
  # Copied beside it and renamed over it, so a crash never leaves half a file; made
  # unreadable to others before the mode is set, as the config holds the join token.
  (umask 077 && cp "$files$2" "$target.flotilla-new")
  chmod "$1" "$target.flotilla-new"
  mv -f "$target.flotilla-new" "$target"
  say "installed $2"
  changed=1
}
ensure_link() {
  target=$root$1
  [ "$(readlink "$target" 2>/dev/null || true)" = "$2" ] && return 0
  if [ -n "$root" ]; then
    mkdir -p "$(dirname -- "$target")"
    ln -sfn "$2" "$target"
    say "enabled $service: it starts at boot"
    changed=1
  fi
  # On a running system systemctl makes the link, below.
}

${installs.join('\n')}

# --- Service --------------------------------------------------------------------------
if [ -n "$root" ]; then
  if [ "$changed" -eq 1 ]; then
    say "the agent is in the image at $root: it starts and joins the fleet when the device first boots"
  else
    say "the image at $root already had all of it: nothing changed"
  fi
  exit 0
fi
[ "$changed" -eq 0 ] || systemctl daemon-reload
systemctl is-enabled --quiet "$service" 2>/dev/null || systemctl enable "$service"
if ! systemctl is-active --quiet "$service"; then
  systemctl start "$service"
  say "started $service"
elif [ "$changed" -eq 1 ]; then
  systemctl restart "$service"
  say "restarted $service with the new files"
else
  say "$service was already installed and running: nothing changed"
fi
say "follow it with: journalctl -u $service -f"
`;
}
