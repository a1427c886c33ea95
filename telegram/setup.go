package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/mymmrac/telego"
)

// AllowedUpdates lists the update kinds the store handles. It is passed
// explicitly because Telegram otherwise keeps whatever an earlier deployment
// set, and a missing pre_checkout_query means every payment times out.
func AllowedUpdates() []string {
	return []string{"message", "pre_checkout_query", "callback_query", "subscription"}
}

// SetWebhook points Telegram at url and makes it send secret in the
// X-Telegram-Bot-Api-Secret-Token header. Pending updates are kept: dropping
// them could lose a successful_payment.
func (b *Bot) SetWebhook(ctx context.Context, url, secret string) error {
	if url == "" {
		return errors.New("telegram setWebhook: empty url")
	}
	if err := ValidateSecretToken(secret); err != nil {
		return fmt.Errorf("telegram setWebhook: %w", err)
	}
	return wrap("setWebhook", b.api.SetWebhook(ctx, &telego.SetWebhookParams{
		URL:            url,
		SecretToken:    secret,
		AllowedUpdates: AllowedUpdates(),
	}))
}

// SetMyCommands sets the command menu for one language ("" = default).
func (b *Bot) SetMyCommands(ctx context.Context, lang string, cmds []Command) error {
	if len(cmds) == 0 {
		return errors.New("telegram setMyCommands: no commands")
	}
	list := make([]telego.BotCommand, 0, len(cmds))
	for _, c := range cmds {
		list = append(list, telego.BotCommand{Command: c.Command, Description: c.Description})
	}
	return wrap("setMyCommands", b.api.SetMyCommands(ctx, &telego.SetMyCommandsParams{
		Commands:     list,
		LanguageCode: lang,
	}))
}

// SetChatMenuButton makes the default menu button open the Mini App in every
// private chat with the bot.
func (b *Bot) SetChatMenuButton(ctx context.Context, text, webAppURL string) error {
	if text == "" || webAppURL == "" {
		return errors.New("telegram setChatMenuButton: text and web app URL are required")
	}
	return wrap("setChatMenuButton", b.api.SetChatMenuButton(ctx, &telego.SetChatMenuButtonParams{
		MenuButton: &telego.MenuButtonWebApp{
			Type:   telego.ButtonTypeWebApp,
			Text:   text,
			WebApp: telego.WebAppInfo{URL: webAppURL},
		},
	}))
}

// GetMe returns the bot's own user; a cheap readiness probe for the token.
func (b *Bot) GetMe(ctx context.Context) (User, error) {
	me, err := b.api.GetMe(ctx)
	if err != nil {
		return User{}, wrap("getMe", err)
	}
	return userFrom(*me), nil
}
