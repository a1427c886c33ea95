// Package telegram is the store's only door to the Telegram Bot API.
//
// It wraps telego (net/http caller, so tests can point it at
// telegram/telegramtest) behind a small surface shaped by what the order
// workflow needs: Stars invoices that are validated before they leave the
// process, errors sorted into the classes the workflow acts on (retry, stop,
// already done), Mini App initData verification, and a tolerant parser for
// the handful of webhook update kinds the store reacts to.
//
// Nothing here logs; errors never carry the bot token (it is part of every
// request URL, so transport errors are scrubbed before they are returned).
package telegram
