// Package faultsuite is the fault-injection suite (go test ./faultsuite,
// `make fault-test` for the long mode). It drives hundreds of orders
// through the real app — run as a child process so it can be SIGKILLed at
// any step — against the real Temporal dev server (file-backed, so it can
// be restarted), real PostgreSQL and the Telegram and eSIM Go fakes, which
// stay in the test process so their ledgers survive every crash. When the
// faults stop it checks the money rules (docs/architecture.md#money-rules) against all
// three ledgers and prints a summary table.
package faultsuite
