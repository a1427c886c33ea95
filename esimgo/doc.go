// Package esimgo is a client for the eSIM Go reseller API (v2.5).
//
// Money safety: eSIM Go has no idempotency key. CreateOrder is never retried
// by this package, and an order transaction whose answer is lost is reported
// as KindOutcomeUnknown, distinct from KindNotSent (the request certainly
// never left this process). After KindOutcomeUnknown, call FindOrderSince and
// claim the order it finds instead of ordering again.
//
// Reads (GET) are retried after 429 and 503 when eSIM Go sends Retry-After,
// within Config.MaxRetries and Config.MaxRetryWait. eSIM Go limits the whole
// account (10 requests per fixed second by default), so every call books a
// slot on the "esimgo" lane of Config.Budget (package budget), shared by
// every process of the store, and eSIM Go's X-Ratelimit headers and 429s
// steer that lane. budget.WithPriority(ctx, budget.Background) makes a call
// take only spare capacity; budget.WithMaxWait bounds its queueing.
//
// The fake server for tests and the sandbox is in package esimgotest.
package esimgo
