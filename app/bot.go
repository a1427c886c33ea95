package app

import (
	"strings"

	"github.com/starsesim/esimstore/bot"
)

// BotCommands is the chat side of the store (api.Commands): commands,
// deep-link purchases and subscription updates.
func (a *App) BotCommands() *bot.Handler {
	return &bot.Handler{Orders: a.Orders, Ledger: a.Store, ESIMs: a.Usage, Bot: a.Bot, MiniAppURL: MiniAppURL(a.Cfg.PublicURL),
		Support: a.Desk, Logger: a.Logger}
}

// MiniAppURL is where the Mini App is served under PUBLIC_URL; "" without one.
func MiniAppURL(publicURL string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/app/"
}
