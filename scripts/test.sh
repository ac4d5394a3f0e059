#!/usr/bin/env bash
# `npm test`: prepares the machine (setup.sh), type-checks, runs every tap test (or those
# named: `npm test -- test/shared`), then removes what the tests left behind. The exit code
# is tap's; when the tests pass but the sources have type errors, it is tsc's.
# Works without a terminal or stdin, as CI runs it.
# Functions reached only through traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FLOTILLA_ROOT"
mkdir -p "$FLOTILLA_RUN_DIR"

TEST_RUN_LOCK="$FLOTILLA_RUN_DIR/test-run.lock"
FLOTILLA_TEST_RUN="$(date +%s)-$$"
export FLOTILLA_TEST_RUN
setup_report=""
started_service_pid=""
tap_pid=""

# Tests name their devices `test-…` or label their containers io.flotilla.test=1. A test that
# also labels them io.flotilla.test-run=$FLOTILLA_TEST_RUN keeps a concurrent run's sweep
# off its containers.
leftover_test_containers() {
  podman_cmd ps -a --format json 2>/dev/null | node -e '
    const [device, run] = process.argv.slice(1);
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      for (const container of JSON.parse(text || "[]")) {
        const labels = container.Labels ?? {};
        const isTest = labels["io.flotilla.test"] === "1" || (labels[device] ?? "").startsWith("test-");
        const otherRun = labels["io.flotilla.test-run"] !== undefined && labels["io.flotilla.test-run"] !== run;
        if (isTest && !otherRun) console.log(container.Id);
      }
    });' "$LABEL_DEVICE" "$FLOTILLA_TEST_RUN"
}

remove_leftover_test_containers() {
  command -v podman >/dev/null 2>&1 || return 0
  # Another test run still going owns its containers; the last run out sweeps.
  if ! flock -x -n "$test_run_fd"; then
    ok "left test containers alone: another test run is in progress"
    return
  fi
  local ids removed
  mapfile -t ids < <(leftover_test_containers)
  if ((${#ids[@]} > 0)); then
    removed=$(remove_containers "${ids[@]}")
    ok "removed $removed container(s) the tests left behind"
  fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $tap_pid ]]; then stop_process "$tap_pid" 10; fi
  remove_leftover_test_containers || true
  leave_podman_service "$started_service_pid" || true
  [[ -n $setup_report ]] && rm -f "$setup_report"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

exec {test_run_fd}>>"$TEST_RUN_LOCK"
flock -s "$test_run_fd"
join_podman_service_users

setup_report=$(mktemp "$FLOTILLA_RUN_DIR/setup-report.XXXXXX")
FLOTILLA_SETUP_REPORT=$setup_report FLOTILLA_SETUP_BUILD_ERRORS=report bash scripts/setup.sh </dev/null
started_service_pid=$(sed -n 's/^podman-service-pid=//p' "$setup_report" | tail -n 1)

# The build type-checks the same project; tsc runs again only to show the errors in full.
typecheck_status=0
if grep -qx 'typecheck=ok' "$setup_report"; then
  ok "typecheck (tsc, as part of the build)"
else
  echo "… typecheck: npx tsc --noEmit -p ."
  npx tsc --noEmit -p . </dev/null || typecheck_status=$?
  if ((typecheck_status == 0)); then ok "typecheck"; else fail "typecheck failed (tsc exit $typecheck_status)"; fi
fi
# The tests run through tsx, which strips types without checking them.
echo "… typecheck of the tests: npx tsc -p test/tsconfig.json"
if npx tsc -p test/tsconfig.json </dev/null; then
  ok "typecheck of the tests"
else
  typecheck_status=$?
  fail "typecheck of the tests failed (tsc exit $typecheck_status)"
fi

# tap takes files and globs, not folders: `npm test -- test/shared` means the tests in it.
tap_args=()
previous=""
for arg in "$@"; do
  if [[ -d $arg && $previous != --output-dir ]]; then
    tap_args+=("${arg%/}/**/*.test.ts")
  else
    tap_args+=("$arg")
  fi
  previous=$arg
done

# tap runs in a session of its own, so an interrupt reaches it through cleanup, which stops
# its whole process group (test processes included) and then sweeps containers.
echo "… npx tap ${tap_args[*]}"
detach - npx tap "${tap_args[@]}"
tap_pid=$DETACHED_PID
tap_status=0
wait "$tap_pid" || tap_status=$?
# Whatever the tests started and forgot goes with the group.
stop_process "$tap_pid" 5
tap_pid=""

if ((tap_status != 0)); then
  fail "tests failed (tap exit $tap_status)"
  exit "$tap_status"
fi
exit "$typecheck_status"
