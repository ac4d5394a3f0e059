#!/usr/bin/env bash
# `npm start`: a whole fleet of one on this machine. Prepares the machine (setup.sh), starts a
# hub and an agent for this host, applies scripts/sample-workload.yaml, waits for its pods to
# run and shows the fleet, then keeps running until Ctrl-C. Stopping (Ctrl-C, SIGTERM or a
# failure) stops the agent and the hub, removes this device's containers, and stops the
# Podman API service when this script started it. Each run starts from an empty hub and agent
# state, so what it shows is never left over from an earlier run.
#
# FLOTILLA_QUICKSTART_EXIT=1 stops right after showing the fleet (for unattended checks).
# FLOTILLA_DEVICE_NAME overrides the device name (default: the host name as a DNS label).
# Functions reached only through traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FLOTILLA_ROOT"

QUICKSTART_DIR="$FLOTILLA_RUN_DIR/quickstart"
HUB_LOG="$QUICKSTART_DIR/hub.log"
AGENT_LOG="$QUICKSTART_DIR/agent.log"
WORKLOAD=scripts/sample-workload.yaml
WORKLOAD_SELECTOR=app=hello
WORKLOAD_REPLICAS=2
CLI=(node dist/hub/cli/flotilla.js)

hub_pid=""
agent_pid=""
device=""
started_service_pid=""
setup_report=""
running=0

# `Pi-Kitchen.local` → `pi-kitchen-local`, as the agent itself names a device after its host.
device_name_from_hostname() {
  local name
  name=$(uname -n | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9-]+/-/g; s/-{2,}/-/g; s/^-+//' | cut -c1-63 | sed -E 's/-+$//')
  printf '%s\n' "${name:-device}"
}

rel() { printf '%s\n' "${1#"$FLOTILLA_ROOT"/}"; }

# Fails with both logs' last lines, which is where the reason is.
die() {
  fail "$*"
  show_log_tail "$HUB_LOG" 25
  show_log_tail "$AGENT_LOG" 25
  exit 1
}

# The preferred port when free, else the first free one from FALLBACK on.
pick_port() {
  local port=$1 fallback=$2
  if ! port_in_use "$port"; then
    printf '%s\n' "$port"
    return
  fi
  for ((port = fallback; port < fallback + 100; port++)); do
    if ! port_in_use "$port"; then
      printf '%s\n' "$port"
      return
    fi
  done
  return 1
}

# Processes of a quick start that was killed outright (no cleanup ran) are found by their
# pid files and stopped; the quick-start lock guarantees they are not another live run's.
stop_stale_process() {
  local pid_file=$1 pid
  [[ -f $pid_file ]] || return 0
  pid=$(<"$pid_file")
  if [[ $pid =~ ^[0-9]+$ ]] && process_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'flotilla.js'; then
    stop_process "$pid" 10
    ok "stopped a process left by an earlier quick start (pid $pid)"
  fi
  rm -f "$pid_file"
}

device_containers() {
  podman_cmd ps -aq --filter "label=$LABEL_DEVICE=$device" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  echo "… stopping the quick start"
  if [[ -n $agent_pid ]]; then stop_process "$agent_pid" 15 && ok "agent stopped"; fi
  if [[ -n $hub_pid ]]; then stop_process "$hub_pid" 10 && ok "hub stopped"; fi
  rm -f "$QUICKSTART_DIR/agent.pid" "$QUICKSTART_DIR/hub.pid"
  if [[ -n $device ]] && command -v podman >/dev/null 2>&1; then
    local ids removed
    mapfile -t ids < <(device_containers)
    if ((${#ids[@]} > 0)); then
      removed=$(remove_containers "${ids[@]}")
      ok "removed $removed container(s) of device $device"
    fi
  fi
  leave_podman_service "$started_service_pid" || true
  [[ -n $setup_report ]] && rm -f "$setup_report"
  exit "$status"
}

# Once the fleet runs, Ctrl-C is how one stops it: a clean stop then exits 0.
on_signal() {
  if ((running)); then exit 0; fi
  exit "$1"
}

trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

mkdir -p "$QUICKSTART_DIR"
exec {quickstart_lock_fd}>>"$QUICKSTART_DIR/lock"
if ! flock -n "$quickstart_lock_fd"; then
  fail "another quick start is running in this checkout; stop it first (Ctrl-C in its terminal)"
  exit 1
fi
stop_stale_process "$QUICKSTART_DIR/agent.pid"
stop_stale_process "$QUICKSTART_DIR/hub.pid"

join_podman_service_users
setup_report=$(mktemp "$FLOTILLA_RUN_DIR/setup-report.XXXXXX")
FLOTILLA_SETUP_REPORT=$setup_report bash scripts/setup.sh </dev/null
started_service_pid=$(sed -n 's/^podman-service-pid=//p' "$setup_report" | tail -n 1)

device=${FLOTILLA_DEVICE_NAME:-$(device_name_from_hostname)}
mapfile -t stale_containers < <(device_containers)
if ((${#stale_containers[@]} > 0)); then
  ok "removed $(remove_containers "${stale_containers[@]}") container(s) left by an earlier run of device $device"
fi
rm -rf "$QUICKSTART_DIR/hub" "$QUICKSTART_DIR/agent"
http_port=$(pick_port "${FLOTILLA_PORT:-7080}" 17080) || die "no free port for the hub's API"
mqtt_port=$(pick_port "${FLOTILLA_MQTT_PORT:-1883}" 11883) || die "no free port for the hub's own MQTT link"
mqtts_port=$(pick_port "${FLOTILLA_MQTT_TLS_PORT:-8883}" 18883) || die "no free port for the hub's device listener"
for pair in "${FLOTILLA_PORT:-7080}:$http_port:API" "${FLOTILLA_MQTT_TLS_PORT:-8883}:$mqtts_port:device listener (MQTT over TLS)"; do
  IFS=: read -r wanted got what <<<"$pair"
  if ((wanted != got)); then ok "port $wanted is taken: the hub's $what uses $got"; fi
done
# The hub writes its admin credentials here; the CLI reads them, as kubectl reads a kubeconfig.
export FLOTILLA_CONFIG="$QUICKSTART_DIR/hub/admin.yaml"
unset FLOTILLA_SERVER FLOTILLA_TOKEN

: >"$HUB_LOG"
detach "$HUB_LOG" "${CLI[@]}" hub --data-dir "$QUICKSTART_DIR/hub" --port "$http_port" --mqtt-port "$mqtt_port" --mqtt-tls-port "$mqtts_port"
hub_pid=$DETACHED_PID
printf '%s\n' "$hub_pid" >"$QUICKSTART_DIR/hub.pid"

deadline=$((SECONDS + 30))
until [[ -f $FLOTILLA_CONFIG ]] && "${CLI[@]}" get devices >/dev/null 2>&1; do
  process_alive "$hub_pid" || die "the hub exited at start"
  ((SECONDS < deadline)) || die "the hub's API did not answer on port $http_port within 30 s"
  sleep 0.3
done
ok "hub running: API https://localhost:$http_port, devices on mqtts://localhost:$mqtts_port (log $(rel "$HUB_LOG"))"

token=$("${CLI[@]}" token create --labels role=demo --uses 1 --ttl 10m 2>/dev/null) || die "flotilla token create failed"
ok "made a join token for one device, valid 10 minutes"

: >"$AGENT_LOG"
detach "$AGENT_LOG" "${CLI[@]}" agent --token "$token" --name "$device" \
  --state-dir "$QUICKSTART_DIR/agent" --runtime-endpoint "$PODMAN_SOCKET"
agent_pid=$DETACHED_PID
printf '%s\n' "$agent_pid" >"$QUICKSTART_DIR/agent.pid"

# Reads a JSON document on stdin and exits 0 when the given check holds for it.
json_check() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      let doc;
      try { doc = JSON.parse(text); } catch { process.exit(1); }
      const items = Array.isArray(doc.items) ? doc.items : [doc];
      const [check, arg] = process.argv.slice(1);
      if (check === "device-ready") {
        process.exit(items.some((d) => d.metadata?.name === arg && d.status?.state === "Ready") ? 0 : 1);
      }
      if (check === "pods-running") {
        const running = items.filter((p) => p.status?.phase === "Running").length;
        process.exit(running >= Number(arg) ? 0 : 1);
      }
      process.exit(2);
    });' "$@"
}

deadline=$((SECONDS + 60))
until "${CLI[@]}" get devices "$device" -o json 2>/dev/null | json_check device-ready "$device"; do
  process_alive "$agent_pid" || die "the agent exited at start"
  process_alive "$hub_pid" || die "the hub exited"
  ((SECONDS < deadline)) || die "device $device did not become Ready within 60 s"
  sleep 1
done
ok "agent running: device $device enrolled with the token and is Ready (log $(rel "$AGENT_LOG"))"

apply_log="$QUICKSTART_DIR/apply.log"
if ! "${CLI[@]}" apply -f "$WORKLOAD" >"$apply_log" 2>&1; then
  cat "$apply_log" >&2
  die "flotilla apply -f $WORKLOAD failed"
fi
ok "applied $WORKLOAD: $(tr '\n' ' ' <"$apply_log" | sed 's/ *$//')"

deadline=$((SECONDS + 120))
until "${CLI[@]}" get pods -l "$WORKLOAD_SELECTOR" -o json 2>/dev/null | json_check pods-running "$WORKLOAD_REPLICAS"; do
  process_alive "$agent_pid" || die "the agent exited"
  process_alive "$hub_pid" || die "the hub exited"
  if ((SECONDS >= deadline)); then
    "${CLI[@]}" get pods -o wide >&2 || true
    die "the pods of $WORKLOAD did not all run within 120 s"
  fi
  sleep 1
done
ok "$WORKLOAD_REPLICAS pods running"

echo
echo "\$ flotilla get devices"
"${CLI[@]}" get devices
echo
echo "\$ flotilla get pods -o wide"
"${CLI[@]}" get pods -o wide

if [[ ${FLOTILLA_QUICKSTART_EXIT:-} == 1 ]]; then
  exit 0
fi

watcher_token=$("${CLI[@]}" access grant watcher --role viewer 2>/dev/null) || die "flotilla access grant failed"
ca_file=$(rel "$QUICKSTART_DIR/hub/pki/ca.crt")
cli="node dist/hub/cli/flotilla.js"
echo
echo "The fleet is running. Try, in another terminal:"
printf '  %s\n' "export FLOTILLA_CONFIG=$(rel "$FLOTILLA_CONFIG")    # the hub's admin credentials"
printf '  %-62s %s\n' \
  "$cli get pods" "the pods and where they run" \
  "$cli describe device $device" "the device, its pods and events" \
  "podman ps --filter label=$LABEL_DEVICE=$device" "their containers" \
  "$cli logs -f <pod>" "what a pod prints, fetched over MQTT" \
  "$cli top pods" "what each pod uses" \
  "$cli watch" "the fleet live, from the MQTT fleet topics"
echo "  Fleet health, as any MQTT tool sees it (a read-only token):"
echo "  mosquitto_sub -p $mqtts_port --cafile $ca_file -u watcher -P '$watcher_token' -v -t 'flotilla/v1/fleet/#'"
echo "Logs: $(rel "$HUB_LOG"), $(rel "$AGENT_LOG"). Press Ctrl-C to stop everything."

running=1
# Returns when the hub or the agent exits on its own, or a signal runs the trap.
wait -n "$hub_pid" "$agent_pid" || true
running=0
die "$(process_alive "$hub_pid" && echo "the agent" || echo "the hub") exited unexpectedly"
