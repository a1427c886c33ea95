// Package deploy is the production shape's configuration, checked: the
// Temporal server's config and dynamic config (deploy/temporal/, used by
// `make cluster` and mounted by docker-compose.yml) and the tests that
// keep the root docker-compose.yml, the Dockerfile and these files in
// agreement with the code's configuration and Temporal contract. It has no
// Go code of its own; see docs/operations.md#13-deploying.
package deploy
