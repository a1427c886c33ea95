#!/usr/bin/env bash
# Browser tests of the Mini App and the Telegram simulator: headless Debian
# Chromium driven by playwright-core against a throw-away sandbox (fake
# Telegram and eSIM Go, real Temporal dev server and PostgreSQL).
#
#   scripts/browser-test.sh            # what `make test` runs
#   scripts/browser-test.sh web/e2e/support.test.mjs   # only the files named
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

# Test files named on the command line, or every one.
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$E2E/")

run_tests() {
  # One test file at a time: the fault switches are global to the sandbox.
  E2E_BASE_URL="$1" E2E_SHORT_TTL_URL="$2" node --test --test-concurrency=1 "${files[@]}"
}

if [ -n "${E2E_BASE_URL:-}" ]; then
  echo "using the sandbox at $E2E_BASE_URL (and ${E2E_SHORT_TTL_URL:-no short-TTL sandbox} for the expiry test)"
  run_tests "$E2E_BASE_URL" "${E2E_SHORT_TTL_URL:-}"
  exit
fi

# E2E_SANDBOX_BIN runs another build of the store (same sandbox contract).
bin="${E2E_SANDBOX_BIN:-bin/esimstore}"
if [ -z "${E2E_SANDBOX_BIN:-}" ]; then
  go build -tags dev -o bin/esimstore ./cmd/esimstore
fi
./scripts/ensure-postgres.sh

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
sandbox_pids=()
dbs=()
cleanup() {
  for pid in "${sandbox_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      # Each sandbox leads its own process group (setsid), which holds the
      # Temporal dev server it started: stop them together.
      kill -TERM -- "-$pid" 2>/dev/null || true
    fi
  done
  for pid in "${sandbox_pids[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ -z "${E2E_KEEP_DB:-}" ] && command -v psql >/dev/null; then
    for d in "${dbs[@]}"; do
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT INT TERM HUP

# start_sandbox NAME [ENV=VALUE…]: starts a sandbox with its own ports and
# database and sets sandbox_url once it is ready (no subshell, so cleanup
# knows every process and database).
start_sandbox() {
  local name=$1; shift
  local http_port temporal_port temporal_ui_port db log pid url=""
  http_port=$(free_port); temporal_port=$(free_port); temporal_ui_port=$(free_port)
  db="esimstore_e2e_${name}_$(date +%s)_$$"
  log="$ARTIFACTS/browser-test-sandbox-$name.log"
  dbs+=("$db")
  echo "starting the $name sandbox on 127.0.0.1:$http_port (database $db)"
  env "$@" HTTP_ADDR="127.0.0.1:$http_port" \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
    setsid "$bin" sandbox --temporal-port "$temporal_port" --temporal-ui-port "$temporal_ui_port" --temporal-db "" \
    >"$log" 2>&1 &
  pid=$!
  sandbox_pids+=("$pid")
  for _ in $(seq 1 360); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the $name sandbox exited before it was ready; last lines of $log:" >&2
      tail -n 40 "$log" >&2
      return 1
    fi
    url=$(grep -o 'sandbox ready: http://[^ ]*' "$log" | head -n1 | sed 's/^sandbox ready: //') || true
    [ -n "$url" ] && break
    sleep 0.5
  done
  if [ -z "$url" ]; then
    echo "the $name sandbox was not ready after 180 s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
  sandbox_url=$url
}

start_sandbox main
base=$sandbox_url
# Quotes that expire within seconds, for the expiry test only.
start_sandbox short_ttl INVOICE_TTL=6s
short=$sandbox_url
echo "sandboxes ready at $base and $short"
run_tests "$base" "$short"
