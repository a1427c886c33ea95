// Package esimgo is a client for the eSIM Go reseller API (v2.5).
//
// Money safety: eSIM Go has no idempotency key. CreateOrder is never retried
// by this package, and an order transaction whose answer is lost is reported
// as KindOutcomeUnknown, distinct from KindNotSent (the request certainly
// never left this process). After KindOutcomeUnknown, call FindOrderSince and
// claim the order it finds instead of ordering again.
//
// Reads (GET) are retried after 429 and 503 when eSIM Go sends Retry-After,
// within Config.MaxRetries and Config.MaxRetryWait. All calls share a
// client-side rate limit below eSIM Go's 10 requests per second.
//
// The fake server for tests and the sandbox is in package esimgotest.
package esimgo
