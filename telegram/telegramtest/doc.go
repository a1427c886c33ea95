// Package telegramtest is a fake Telegram Bot API server for tests and the
// sandbox. It speaks the real wire protocol (POST /bot<token>/<method> with
// JSON, multipart or form bodies, or GET with query parameters), answers in
// Telegram's {"ok":…} envelope, validates Stars invoices and refunds the way
// Telegram does, keeps a Star ledger, and plays the buyer: it delivers
// pre_checkout_query and successful_payment updates to the bot's webhook.
//
// Error texts that Telegram's Bot API documentation does not spell out
// (STARS_INVOICE_INVALID, CHARGE_ALREADY_REFUNDED, CHARGE_ID_EMPTY,
// USER_ID_INVALID) are modelled on Telegram's MTProto error names and marked as such where
// they are produced; code should branch on error classes, not on texts.
//
// In a long-running sandbox mount it under a prefix with http.StripPrefix and
// point telegram.Config.APIURL at that prefix.
package telegramtest
