#!/usr/bin/env bash
# Creates Temporal's two PostgreSQL databases and brings their schemas to the
# server's version with the server's own sql tool and schema files: what
# docker-compose.yml's temporal-admin-tools job does, without Docker. Safe to
# re-run: an existing database is kept, setup-schema -v 0.0 leaves a
# versioned schema alone and update-schema applies only missing versions.
#
# Environment (the names docker-compose.yml and deploy/temporal/config use):
#   TEMPORAL_SQL_TOOL     temporal-sql-tool binary (make cluster-tools)
#   TEMPORAL_SCHEMA_DIR   the server module's schema/postgresql/v12 directory
#                         (default: from the Go module cache, version below)
#   POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD
#   DBNAME, VISIBILITY_DBNAME   (temporal, temporal_visibility)
set -euo pipefail

: "${TEMPORAL_SERVER_VERSION:=v1.29.1}"
: "${TEMPORAL_SQL_TOOL:=temporal-sql-tool}"
: "${POSTGRES_SEEDS:=127.0.0.1}" "${DB_PORT:=5432}" "${POSTGRES_USER:=postgres}" "${POSTGRES_PWD:=}"
: "${DBNAME:=temporal}" "${VISIBILITY_DBNAME:=temporal_visibility}"
if [[ -z "${TEMPORAL_SCHEMA_DIR:-}" ]]; then
  # The sql tool's `go install` put the server module in the module cache.
  mod=$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION
  [[ -d "$mod" ]] || mod=$(cd /tmp && go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  TEMPORAL_SCHEMA_DIR=$mod/schema/postgresql/v12
fi

sqltool() {
  "$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" \
    ${POSTGRES_PWD:+--pw "$POSTGRES_PWD"} "$@"
}

for db in "$DBNAME" "$VISIBILITY_DBNAME"; do
  sqltool --db "$db" create-database 2>/dev/null || echo "database $db exists already"
done
sqltool --db "$DBNAME" setup-schema -v 0.0
sqltool --db "$DBNAME" update-schema -d "$TEMPORAL_SCHEMA_DIR/temporal/versioned"
sqltool --db "$VISIBILITY_DBNAME" setup-schema -v 0.0
sqltool --db "$VISIBILITY_DBNAME" update-schema -d "$TEMPORAL_SCHEMA_DIR/visibility/versioned"
echo "temporal schemas of $DBNAME and $VISIBILITY_DBNAME are up to date"
