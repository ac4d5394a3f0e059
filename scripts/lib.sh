# Shell helpers shared by setup.sh, quickstart.sh and test.sh. Source it; it defines
# functions and a few variables and runs nothing.
#
# shellcheck shell=bash
# The variables are used by the scripts that source this file.
# shellcheck disable=SC2034

FLOTILLA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything the scripts write at run time (logs, pid files, locks) lives here; it is in .gitignore.
FLOTILLA_RUN_DIR="$FLOTILLA_ROOT/.flotilla"

PODMAN_SOCKET=/run/podman/podman.sock
PODMAN_SERVICE_PID_FILE="$FLOTILLA_RUN_DIR/podman-service.pid"
PODMAN_SERVICE_LOG="$FLOTILLA_RUN_DIR/podman-service.log"
# Present when the script that started the service left while others still used it: the
# last user out stops it instead.
PODMAN_SERVICE_ORPHANED="$FLOTILLA_RUN_DIR/podman-service.orphaned"
# quickstart.sh and test.sh hold a shared lock on this file while they use the Podman
# service, so one of them finishing never pulls the service from under another.
PODMAN_SERVICE_USERS_LOCK="$FLOTILLA_RUN_DIR/podman-service.users"

TEST_IMAGE=localhost/busybox:test
LABEL_DEVICE=io.flotilla.device

ok() { printf '\342\234\223 %s\n' "$*"; }
warn() { printf '! %s\n' "$*" >&2; }
fail() { printf '\342\234\227 %s\n' "$*" >&2; }

# Prints the last lines of a log file, indented, for a failure message.
show_log_tail() {
  local file=$1 lines=${2:-30}
  if [[ -s $file ]]; then
    printf '  --- last lines of %s ---\n' "${file#"$FLOTILLA_ROOT"/}" >&2
    tail -n "$lines" "$file" | sed 's/^/  /' >&2
  fi
}

# Runs a command as root: directly when we are root, through sudo otherwise. Without a
# terminal sudo must not wait for a password nobody can type, hence -n.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]]; then sudo "$@"; else sudo -n "$@"; fi
  else
    fail "this step needs root and sudo is not installed: run as root"
    return 1
  fi
}

podman_cmd() { as_root podman "$@"; }

# True when a Docker-API server answers on the socket.
socket_answers() {
  local socket=$1
  [[ -S $socket ]] || return 1
  if command -v curl >/dev/null 2>&1; then
    curl -sf --max-time 2 --unix-socket "$socket" http://d/_ping >/dev/null 2>&1
  else
    node -e '
      const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 },
        (res) => process.exit(res.statusCode === 200 ? 0 : 1));
      req.on("error", () => process.exit(1));
      req.on("timeout", () => process.exit(1));' "$socket" >/dev/null 2>&1
  fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts a command in its own session (so it can be stopped as a process group and does not
# get the terminal's Ctrl-C), with stdin from /dev/null and output appended to LOG, or left
# where it goes when LOG is "-". Inherited descriptors above 2 are closed so the child never
# keeps a lock of ours alive.
# Usage: detach LOG CMD...; the pid is left in DETACHED_PID.
detach() {
  local log=$1
  shift
  (
    for fd_path in /proc/"$BASHPID"/fd/*; do
      fd=${fd_path##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    if [[ $log != - ]]; then exec >>"$log" 2>&1; fi
    # A background child of a non-interactive shell is never a group leader, so setsid
    # does not fork and the pid below stays the command's own.
    exec setsid "$@" </dev/null
  ) &
  DETACHED_PID=$!
}

# True while the process exists and is not a zombie.
process_alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $state && $state != Z* ]]
}

# Live (non-zombie) members of a process group.
group_alive() {
  ps -e -o pgid=,stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# Stops a process started with detach: SIGTERM to its process group (so whatever it spawned
# goes too), SIGKILL after GRACE seconds. Safe to call when it is already gone; also sweeps
# what is left of the group after its leader exited.
stop_process() {
  local pid=$1 grace=${2:-10} deadline
  [[ -n $pid ]] || return 0
  deadline=$((SECONDS + grace))
  if group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    while group_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if group_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  elif process_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    while process_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if process_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  # Reap it when it is our child, so no zombie outlives the script.
  wait "$pid" 2>/dev/null || true
}

# The pid of the Podman service a Flotilla script started, if it still runs (checking the
# command line, so a recycled pid is never mistaken for it).
podman_service_pid() {
  local pid
  [[ -f $PODMAN_SERVICE_PID_FILE ]] || return 1
  pid=$(<"$PODMAN_SERVICE_PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  process_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'system service' || return 1
  printf '%s\n' "$pid"
}

# Takes a shared lock on the users file for the life of this shell. Call before setup.sh so
# a script finishing meanwhile cannot stop the service this one is about to use.
join_podman_service_users() {
  mkdir -p "$FLOTILLA_RUN_DIR"
  exec {PODMAN_USERS_FD}>>"$PODMAN_SERVICE_USERS_LOCK"
  if ! flock -s -w 120 "$PODMAN_USERS_FD"; then
    fail "timed out waiting for ${PODMAN_SERVICE_USERS_LOCK#"$FLOTILLA_ROOT"/}"
    return 1
  fi
}

# Stops the Podman service when this script started it (STARTED_PID) or its starter left it
# orphaned, and no other Flotilla script still uses it.
leave_podman_service() {
  local started_pid=${1:-} pid
  [[ -n ${PODMAN_USERS_FD:-} ]] || return 0
  pid=$(podman_service_pid) || { rm -f "$PODMAN_SERVICE_ORPHANED"; return 0; }
  if [[ $pid != "$started_pid" && ! -f $PODMAN_SERVICE_ORPHANED ]]; then return 0; fi
  if flock -x -n "$PODMAN_USERS_FD"; then
    stop_process "$pid" 10
    rm -f "$PODMAN_SERVICE_PID_FILE" "$PODMAN_SERVICE_ORPHANED"
    ok "stopped the Podman API service (pid $pid)"
  else
    touch "$PODMAN_SERVICE_ORPHANED"
    ok "left the Podman API service running: another Flotilla script still uses it"
  fi
}

# Removes containers by id, quietly; prints how many went.
remove_containers() {
  (($# > 0)) || return 0
  podman_cmd rm -f -t 2 "$@" >/dev/null 2>&1 || podman_cmd rm -f "$@" >/dev/null 2>&1 || true
  printf '%s\n' "$#"
}
