#!/usr/bin/env bash
# Prepares this machine to run and test Flotilla: npm dependencies, Podman (with runc) and the
# Mosquitto tools, the Podman API socket, the test image and the build. Safe to run again:
# each step checks first and does nothing when its work is already done.
#
# When it starts the Podman API service it records the pid in .flotilla/podman-service.pid.
# When FLOTILLA_SETUP_REPORT names a file, it appends to it what the caller needs to know:
#   podman-service-pid=<pid>   this run started the service, so it is the caller's to stop
#   typecheck=ok|failed        whether the sources as built pass tsc
# With FLOTILLA_SETUP_BUILD_ERRORS=report, type errors in the build are reported but not
# fatal (test.sh shows them in its own typecheck step and still runs the tests).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FLOTILLA_ROOT"
mkdir -p "$FLOTILLA_RUN_DIR"

APT_PACKAGES=(podman runc netavark iptables catatonit busybox-static mosquitto mosquitto-clients)

# crun, Podman's default, fails on these cgroup v1 hybrid hosts; the default rlimits are
# refused too, so container ulimits are set explicitly.
CONTAINERS_CONF='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
CONTAINERS_CONF_PATH=/etc/containers/containers.conf

BUILD_STAMP="$FLOTILLA_RUN_DIR/build.stamp"

# Tells the calling script what this run did (see the header).
report() {
  if [[ -n ${FLOTILLA_SETUP_REPORT:-} ]]; then printf '%s\n' "$1" >>"$FLOTILLA_SETUP_REPORT"; fi
}

# Two setups at once would race on node_modules, apt and the service; the second waits.
take_setup_lock() {
  exec {setup_lock_fd}>>"$FLOTILLA_RUN_DIR/setup.lock"
  if ! flock -n "$setup_lock_fd"; then
    echo "… waiting for another setup.sh to finish"
    flock -w 900 "$setup_lock_fd" || { fail "timed out waiting for another setup.sh"; exit 1; }
  fi
}

# node_modules matches the lock file when the hash recorded at our last install matches; an
# install made by hand (no record) counts when every declared dependency is there.
npm_dependencies_current() {
  local record=node_modules/.flotilla-lock-hash
  [[ -d node_modules ]] || return 1
  if [[ -f $record ]]; then
    [[ $(<"$record") == "$(lock_hash)" ]]
    return
  fi
  local name
  while IFS= read -r name; do
    [[ -f node_modules/$name/package.json ]] || return 1
  done < <(node -e '
    const p = require("./package.json");
    for (const n of Object.keys({ ...p.dependencies, ...p.devDependencies })) console.log(n);')
  lock_hash >"$record"
}

lock_hash() {
  local file=package-lock.json
  [[ -f $file ]] || file=package.json
  sha256sum "$file" | cut -d' ' -f1
}

ensure_npm_dependencies() {
  local log="$FLOTILLA_RUN_DIR/npm-install.log"
  if npm_dependencies_current; then
    ok "npm dependencies up to date"
    return
  fi
  local command=(npm install)
  [[ -f package-lock.json ]] && command=(npm ci)
  # npm 11 leaves install scripts unapproved; every dependency works without them.
  if ! "${command[@]}" --no-audit --no-fund >"$log" 2>&1 </dev/null; then
    fail "${command[*]} failed"
    show_log_tail "$log" 40
    exit 1
  fi
  lock_hash >node_modules/.flotilla-lock-hash
  ok "npm dependencies installed (${command[*]})"
}

missing_apt_packages() {
  local package
  for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null | grep -q '^ii'; then
      printf '%s\n' "$package"
    fi
  done
}

# A freshly installed Mosquitto starts a system broker on port 1883, the hub's own MQTT port;
# tests and the quick start run their brokers themselves, so the system one is switched off.
disable_system_mosquitto() {
  if [[ -d /run/systemd/system ]]; then
    as_root systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/mosquitto ]]; then
    as_root /etc/init.d/mosquitto stop >/dev/null 2>&1 || true
  fi
}

ensure_apt_packages() {
  local missing log="$FLOTILLA_RUN_DIR/apt.log"
  mapfile -t missing < <(missing_apt_packages)
  if ((${#missing[@]} > 0)); then
    if ! command -v apt-get >/dev/null 2>&1; then
      fail "missing packages (${missing[*]}) and no apt-get: install them with your package manager"
      exit 1
    fi
    echo "… installing ${missing[*]}"
    if ! {
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    } >"$log" 2>&1 </dev/null; then
      fail "apt-get install ${missing[*]} failed"
      show_log_tail "$log" 40
      exit 1
    fi
    if printf '%s\n' "${missing[@]}" | grep -qx mosquitto; then disable_system_mosquitto; fi
  fi
  local mosquitto_version installed=""
  mosquitto_version=$(dpkg-query -W -f='${Version}' mosquitto 2>/dev/null | sed 's/-.*//')
  if ((${#missing[@]} > 0)); then installed=" (installed ${missing[*]})"; fi
  ok "packages: podman, runc, busybox-static, mosquitto $mosquitto_version$installed"
}

ensure_containers_conf() {
  if [[ -f $CONTAINERS_CONF_PATH ]] && cmp -s "$CONTAINERS_CONF_PATH" <(printf '%s\n' "$CONTAINERS_CONF"); then
    ok "$CONTAINERS_CONF_PATH: runc, cgroupfs, explicit ulimits"
    return
  fi
  local note="written"
  as_root mkdir -p "$(dirname "$CONTAINERS_CONF_PATH")"
  if [[ -f $CONTAINERS_CONF_PATH ]]; then
    local backup
    backup="$CONTAINERS_CONF_PATH.$(date +%Y%m%d%H%M%S).bak"
    as_root cp -p "$CONTAINERS_CONF_PATH" "$backup"
    note="replaced, previous one kept as $backup"
  fi
  printf '%s\n' "$CONTAINERS_CONF" | as_root tee "$CONTAINERS_CONF_PATH" >/dev/null
  ok "$CONTAINERS_CONF_PATH $note"
}

check_podman() {
  local version runtime log="$FLOTILLA_RUN_DIR/podman-info.log"
  version=$(podman --version 2>/dev/null | awk '{ print $NF }')
  if ! runtime=$(podman_cmd info --format '{{.Host.OCIRuntime.Name}}' 2>"$log"); then
    fail "podman $version does not work"
    show_log_tail "$log"
    exit 1
  fi
  ok "podman $version with $runtime"
}

ensure_podman_service() {
  if socket_answers "$PODMAN_SOCKET"; then
    ok "Podman API answers at $PODMAN_SOCKET"
    return
  fi
  local command=(podman system service --time=0 "unix://$PODMAN_SOCKET")
  if [[ $EUID -ne 0 ]]; then command=(sudo -n "${command[@]}"); fi
  as_root mkdir -p "$(dirname "$PODMAN_SOCKET")"
  # A socket file nobody answers on is left over from a service that died.
  as_root rm -f "$PODMAN_SOCKET"
  printf '\n--- %s: %s\n' "$(date -Is)" "${command[*]}" >>"$PODMAN_SERVICE_LOG"
  detach "$PODMAN_SERVICE_LOG" "${command[@]}"
  local pid=$DETACHED_PID
  printf '%s\n' "$pid" >"$PODMAN_SERVICE_PID_FILE"
  report "podman-service-pid=$pid"
  local deadline=$((SECONDS + 30))
  until socket_answers "$PODMAN_SOCKET"; do
    if ! process_alive "$pid"; then
      fail "the Podman API service exited at start"
      show_log_tail "$PODMAN_SERVICE_LOG"
      rm -f "$PODMAN_SERVICE_PID_FILE"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      fail "the Podman API service did not answer at $PODMAN_SOCKET within 30 s"
      show_log_tail "$PODMAN_SERVICE_LOG"
      stop_process "$pid" 5
      rm -f "$PODMAN_SERVICE_PID_FILE"
      exit 1
    fi
    sleep 0.2
  done
  ok "Podman API started at $PODMAN_SOCKET (pid $pid, log ${PODMAN_SERVICE_LOG#"$FLOTILLA_ROOT"/})"
}

# No registry is reachable from these machines, so the test image is made locally from
# Debian's static busybox.
ensure_test_image() {
  if podman_cmd image exists "$TEST_IMAGE"; then
    ok "image $TEST_IMAGE present"
    return
  fi
  local root log="$FLOTILLA_RUN_DIR/image-import.log"
  root=$(mktemp -d)
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/"
  local applet
  for applet in sh echo sleep cat ls httpd wget true false env; do ln -s busybox "$root/bin/$applet"; done
  if ! tar -C "$root" -c . | podman_cmd import - "$TEST_IMAGE" >"$log" 2>&1; then
    rm -rf "$root"
    fail "podman import of $TEST_IMAGE failed"
    show_log_tail "$log"
    exit 1
  fi
  rm -rf "$root"
  ok "image $TEST_IMAGE imported from busybox-static"
}

# The build is skipped when no source, config or folder (files added or removed) changed
# since the last good one.
build_is_current() {
  [[ -f $BUILD_STAMP && -d dist ]] || return 1
  local changed
  changed=$(find shared hub agent scripts tsconfig.json package.json package-lock.json \
    -newer "$BUILD_STAMP" -print -quit 2>/dev/null)
  [[ -z $changed ]]
}

ensure_build() {
  if build_is_current; then
    report typecheck=ok
    ok "build up to date (dist/)"
    return
  fi
  local log="$FLOTILLA_RUN_DIR/build.log"
  # Stamped before building: a file saved during the build must make the next run rebuild.
  local stamp_next="$BUILD_STAMP.next"
  touch "$stamp_next"
  if npm run build >"$log" 2>&1 </dev/null; then
    mv "$stamp_next" "$BUILD_STAMP"
    report typecheck=ok
    ok "built (dist/)"
    return
  fi
  rm -f "$stamp_next"
  report typecheck=failed
  if [[ ${FLOTILLA_SETUP_BUILD_ERRORS:-} == report ]] && grep -q 'error TS' "$log"; then
    # tsc still emits JavaScript despite type errors; the caller shows the errors itself.
    node scripts/copy-assets.mjs >>"$log" 2>&1 || true
    fail "build has type errors (dist/ emitted anyway)"
    return
  fi
  fail "npm run build failed"
  show_log_tail "$log" 40
  exit 1
}

take_setup_lock
ensure_npm_dependencies
ensure_apt_packages
ensure_containers_conf
check_podman
ensure_podman_service
ensure_test_image
ensure_build
