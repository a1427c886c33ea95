# syntax=docker/dockerfile:1
#
# One image for every role: the compose file (and any orchestrator) picks
# the subcommand — api, worker, migrate, serve — as the container command.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so editing code does not re-download modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO off: the binary must run on the static distroless base below.
# Migrations, the Mini App and the simulator page are go:embed-ed, so the
# binary is the whole application.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /usr/local/bin/esimstore ./cmd/esimstore

# distroless/static carries CA certificates (Telegram, eSIM Go and Temporal
# Cloud are all TLS) and tzdata, runs as uid 65532, and has no shell.
# No shell means no HEALTHCHECK here: Docker runs health checks inside the
# container. Probe GET /healthz (liveness) and GET /readyz (readiness) from
# the orchestrator instead — Kubernetes httpGet probes, a load balancer
# health check — as docs/operations.md describes.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /usr/local/bin/esimstore /usr/local/bin/esimstore
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["esimstore"]
CMD ["serve"]
