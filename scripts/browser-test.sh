#!/usr/bin/env bash
# Browser tests of the Mini App and the Telegram simulator: headless Debian
# Chromium driven by playwright-core against a throw-away sandbox (fake
# Telegram and eSIM Go, real Temporal dev server and PostgreSQL).
#
#   scripts/browser-test.sh            # what `make test` runs
#   E2E_KEEP_DB=1 scripts/browser-test.sh   # keep the test database for a look
#   E2E_BASE_URL=http://127.0.0.1:8080 scripts/browser-test.sh
#                                      # against an already running sandbox (make run)
#
# Screenshots land in test-artifacts/screenshots/, the sandbox's log in
# test-artifacts/browser-test-sandbox.log (both git-ignored).
set -euo pipefail

cd "$(dirname "$0")/.."
E2E=web/e2e
ARTIFACTS=test-artifacts
mkdir -p "$ARTIFACTS/screenshots"

# Chromium from Debian, never a downloaded browser; the emoji font makes the
# flags and ⭐ in the screenshots readable.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Color Emoji'; then
  echo "installing chromium from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi

# npm packages, exactly as locked; reinstalled only when the lock changes.
stamp="$E2E/node_modules/.lock-sha256"
want=$(sha256sum "$E2E/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

run_tests() {
  # One test file at a time: the fault switches are global to the sandbox.
  E2E_BASE_URL="$1" node --test --test-concurrency=1 "$E2E/"
}

if [ -n "${E2E_BASE_URL:-}" ]; then
  echo "using the sandbox at $E2E_BASE_URL"
  run_tests "$E2E_BASE_URL"
  exit
fi

# E2E_SANDBOX_BIN runs another build of the store (same sandbox contract).
bin="${E2E_SANDBOX_BIN:-bin/esimstore}"
if [ -z "${E2E_SANDBOX_BIN:-}" ]; then
  go build -o bin/esimstore ./cmd/esimstore
fi
./scripts/ensure-postgres.sh

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
http_port=$(free_port)
temporal_port=$(free_port)
temporal_ui_port=$(free_port)
db="esimstore_e2e_$(date +%s)_$$"
log="$ARTIFACTS/browser-test-sandbox.log"

sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    # The sandbox leads its own process group (setsid), which holds the
    # Temporal dev server it started: stop them together.
    kill -TERM -- "-$sandbox_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$sandbox_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$sandbox_pid" 2>/dev/null || true
  fi
  if [ -z "${E2E_KEEP_DB:-}" ] && command -v psql >/dev/null; then
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT INT TERM HUP

echo "starting the sandbox on 127.0.0.1:$http_port (database $db)"
HTTP_ADDR="127.0.0.1:$http_port" \
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
  setsid "$bin" sandbox --temporal-port "$temporal_port" --temporal-ui-port "$temporal_ui_port" --temporal-db "" \
  >"$log" 2>&1 &
sandbox_pid=$!

base=""
for _ in $(seq 1 360); do
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    echo "the sandbox exited before it was ready; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  base=$(grep -o 'sandbox ready: http://[^ ]*' "$log" | head -n1 | sed 's/^sandbox ready: //') || true
  [ -n "$base" ] && break
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "the sandbox was not ready after 180 s; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "sandbox ready at $base"
run_tests "$base"
