#!/usr/bin/env bash
# Registers the store's namespace and its four search attributes on a running
# Temporal server: what docker-compose.yml's temporal-create-namespace job
# does, without Docker. Safe to re-run.
#
# Environment:
#   TEMPORAL_CLI        the temporal CLI (make tools)
#   TEMPORAL_ADDRESS    frontend host:port (127.0.0.1:7233)
#   TEMPORAL_NAMESPACE  (default)
set -euo pipefail

: "${TEMPORAL_CLI:=temporal}" "${TEMPORAL_ADDRESS:=127.0.0.1:7233}" "${TEMPORAL_NAMESPACE:=default}"
t() { "$TEMPORAL_CLI" --address "$TEMPORAL_ADDRESS" "$@"; }
# retry runs a command until it succeeds, for the seconds a new server or
# namespace needs before it answers.
retry() {
  local tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [[ $tries -ge 30 ]]; then echo "gave up: $*" >&2; return 1; fi
    sleep 2
  done
}

retry t operator cluster health >/dev/null
t operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 ||
  t operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 720h
# contract.SearchAttributeTypes; deploy/compose_test.go keeps this list equal to it.
for sa in OrderStatus=Keyword TelegramUserId=Int PlanId=Keyword StarsAmount=Int; do
  name=${sa%%=*} type=${sa#*=}
  if t operator search-attribute list -n "$TEMPORAL_NAMESPACE" 2>/dev/null | grep -qw "$name"; then
    echo "search attribute $name exists already"
  else
    retry t operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
  fi
done
echo "namespace $TEMPORAL_NAMESPACE is ready at $TEMPORAL_ADDRESS"
