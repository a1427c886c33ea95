# The two commands a newcomer needs: `make run` and `make test`.
# Everything they depend on is installed here, into git-ignored .tools/.

SHELL := /bin/bash
TEMPORAL_CLI_VERSION := v1.5.1
TOOLS := $(CURDIR)/.tools
TEMPORAL_CLI := $(TOOLS)/temporal-$(TEMPORAL_CLI_VERSION)/temporal
# The Temporal server the CLI's dev server embeds, as its own binaries (make
# cluster), and the Web UI server the CLI embeds.
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_UI_VERSION := v2.42.1
TEMPORAL_SERVER := $(TOOLS)/temporal-server-$(TEMPORAL_SERVER_VERSION)/server
TEMPORAL_SQL_TOOL := $(TOOLS)/temporal-server-$(TEMPORAL_SERVER_VERSION)/sql
TEMPORAL_UI_SERVER := $(TOOLS)/temporal-ui-server-$(TEMPORAL_UI_VERSION)/server
# The linters (make lint). workflowcheck is versioned apart from the SDK: v0.6.0
# is the release that went with go.temporal.io/sdk v1.50.0.
GOLANGCI_LINT_VERSION := v2.15.0
WORKFLOWCHECK_VERSION := v0.6.0
GOLANGCI_LINT := $(TOOLS)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
WORKFLOWCHECK := $(TOOLS)/workflowcheck-$(WORKFLOWCHECK_VERSION)/workflowcheck
GO_TEST_FLAGS ?= -race -count=1 -timeout 20m
# The development tools (sandbox, bench) are compiled in only with this tag;
# the production binary (Dockerfile, plain go build) leaves them out.
DEV_TAGS := -tags dev
# vet and lint also read the cluster test (//go:build cluster), which only
# make cluster-test runs: it needs the Temporal server binaries and minutes of its own.
CHECK_TAGS := dev,cluster

export TEMPORAL_CLI TEMPORAL_SERVER TEMPORAL_SQL_TOOL TEMPORAL_UI_SERVER TEMPORAL_SERVER_VERSION

.PHONY: run test unit-test tools lint lint-tools postgres build build-prod vet browser-test fault-test fault-test-short bench histories clean \
	cluster cluster-test cluster-tools

## run: the whole store in sandbox mode (Temporal dev server + UI, PostgreSQL, app, fakes, simulator)
run: tools postgres build
	./bin/esimstore sandbox

## test: lint, then every test — unit, integration (real dev server and PostgreSQL), browser
test: tools postgres vet lint
	go test $(DEV_TAGS) $(GO_TEST_FLAGS) $$(go list ./... | grep -v /faultsuite)
	$(MAKE) fault-test-short
	$(MAKE) browser-test

## fault-test-short: the fault-injection suite's default run (a few hundred orders). It runs
## without the race detector: it kills and restarts processes to check the money rules, and
## the code it drives is race-tested by the suites above.
fault-test-short:
	go test -count=1 -v -timeout 15m ./faultsuite/

## unit-test: the quick tests that need no services
unit-test:
	go test $(DEV_TAGS) -short -count=1 ./...

## vet: both builds, production and development
vet:
	go vet ./...
	go vet -tags $(CHECK_TAGS) ./...

## lint: golangci-lint (.golangci.yml) on the development build, a superset of the production one,
## then on the packages with production-only files (//go:build !dev), then Temporal's
## workflowcheck on every workflow. Zero findings is the rule; docs/architecture.md#checks.
lint: lint-tools
	$(GOLANGCI_LINT) run --build-tags $(CHECK_TAGS) ./...
	$(GOLANGCI_LINT) run $$(grep -rl --include='*.go' '^//go:build !dev' . | xargs -n1 dirname | sort -u)
	$(WORKFLOWCHECK) -test=false ./...

build:
	go build $(DEV_TAGS) -o bin/esimstore ./cmd/esimstore

## build-prod: the production binary (what the Dockerfile builds), for make cluster
build-prod:
	go build -o bin/esimstore-prod ./cmd/esimstore

## tools: the pinned Temporal CLI, built from the Go module proxy
tools: $(TEMPORAL_CLI)

$(TEMPORAL_CLI):
	@echo "building temporal CLI $(TEMPORAL_CLI_VERSION) (first time only, takes a few minutes)"
	mkdir -p $(@D)
	GOBIN=$(@D) GOFLAGS=-buildvcs=false go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)
	mkdir -p $(TOOLS)/bin && ln -sf $@ $(TOOLS)/bin/temporal

## lint-tools: golangci-lint and workflowcheck, built from the Go module proxy into .tools/
## (about 3 minutes the first time on 2 cores)
lint-tools: $(GOLANGCI_LINT) $(WORKFLOWCHECK)

$(GOLANGCI_LINT):
	@echo "building golangci-lint $(GOLANGCI_LINT_VERSION) (first time only, takes a few minutes)"
	mkdir -p $(@D)
	GOBIN=$(@D) GOFLAGS=-buildvcs=false go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mkdir -p $(TOOLS)/bin && ln -sf $@ $(TOOLS)/bin/golangci-lint

$(WORKFLOWCHECK):
	mkdir -p $(@D)
	GOBIN=$(@D) GOFLAGS=-buildvcs=false go install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)
	mkdir -p $(TOOLS)/bin && ln -sf $@ $(TOOLS)/bin/workflowcheck

## cluster-tools: the Temporal server, its sql tool and the Web UI server, built from the Go
## module proxy (about 4 minutes the first time on 2 cores; the server's schema files come
## with its module in the Go module cache)
cluster-tools: $(TEMPORAL_SERVER) $(TEMPORAL_UI_SERVER)

$(TEMPORAL_SERVER):
	@echo "building temporal server and sql tool $(TEMPORAL_SERVER_VERSION) (first time only, takes a few minutes)"
	mkdir -p $(@D)
	GOBIN=$(@D) GOFLAGS=-buildvcs=false go install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) \
		go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mkdir -p $(TOOLS)/bin && cd $(TOOLS)/bin && ln -sf ../temporal-server-$(TEMPORAL_SERVER_VERSION)/server temporal-server \
		&& ln -sf ../temporal-server-$(TEMPORAL_SERVER_VERSION)/sql temporal-sql-tool

$(TEMPORAL_UI_SERVER):
	@echo "building temporal ui-server $(TEMPORAL_UI_VERSION) (first time only)"
	mkdir -p $(@D)
	GOBIN=$(@D) GOFLAGS=-buildvcs=false go install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION)
	mkdir -p $(TOOLS)/bin && cd $(TOOLS)/bin && ln -sf ../temporal-ui-server-$(TEMPORAL_UI_VERSION)/server temporal-ui-server

## cluster: the production shape without Docker — Temporal server on the local PostgreSQL,
## 2 × esimstore api behind a load balancer, 2 × esimstore worker, fakes, Web UI — until Ctrl-C
cluster: tools cluster-tools postgres build build-prod
	./bin/esimstore cluster --app-binary bin/esimstore-prod

## cluster-test: that shape under test (main paths, burst with a worker killed and the server
## restarted, rolling restart, eSIM Go request rate, bench); tears everything down. About 3 minutes
## once cluster-tools are built.
cluster-test: tools cluster-tools postgres build build-prod
	CLUSTER_APP_BINARY=$(CURDIR)/bin/esimstore-prod CLUSTER_BENCH_BINARY=$(CURDIR)/bin/esimstore \
		go test -tags cluster -count=1 -v -timeout 15m -run TestCluster ./internal/dev/cluster/

## postgres: make sure the local PostgreSQL cluster is up (installs it when missing)
postgres:
	./scripts/ensure-postgres.sh

## bench: load test of whole orders (docs/performance.md); e.g. make bench BENCH_FLAGS="--rate 50 --duration 60s"
BENCH_FLAGS ?= --rate 20 --duration 60s --warmup 10s
bench: tools postgres build
	mkdir -p .run && ./bin/esimstore bench $(BENCH_FLAGS) --json .run/bench.json

## fault-test: the fault-injection suite in its long mode (thousands of orders; `make test` runs the short one)
fault-test: tools postgres
	FAULT_LONG=1 go test -count=1 -v -timeout 60m -run TestFaultSuite ./faultsuite/

browser-test:
	@if [ -d web/e2e ]; then ./scripts/browser-test.sh; else echo "no browser tests yet"; fi

## histories: re-record the workflow replay fixtures after a deliberate workflow change
histories: tools postgres
	RECORD_HISTORIES=1 go test -count=1 -run 'TestRecordHistories|TestSubscriptionRenewals' ./integration/

clean:
	rm -rf bin .run
