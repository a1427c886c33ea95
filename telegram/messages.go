package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
)

// Button is an inline keyboard button: set WebAppURL to open the Mini App,
// or URL for an ordinary link.
type Button struct {
	Text      string
	WebAppURL string
	URL       string
}

// SendPhoto uploads a PNG (the eSIM QR code) with an HTML caption.
func (b *Bot) SendPhoto(ctx context.Context, chatID int64, png []byte, filename, caption string) error {
	if len(png) == 0 {
		return errors.New("telegram sendPhoto: empty image")
	}
	if filename == "" {
		filename = "photo.png"
	}
	_, err := b.api.SendPhoto(ctx, &telego.SendPhotoParams{
		ChatID:    tu.ID(chatID),
		Photo:     tu.FileFromBytes(png, filename),
		Caption:   caption,
		ParseMode: parseModeFor(caption),
	})
	return wrap("sendPhoto", err)
}

// SendMessage sends an HTML text, with each button on its own row.
func (b *Bot) SendMessage(ctx context.Context, chatID int64, text string, buttons ...Button) error {
	if text == "" {
		return errors.New("telegram sendMessage: empty text")
	}
	params := &telego.SendMessageParams{
		ChatID:    tu.ID(chatID),
		Text:      text,
		ParseMode: telego.ModeHTML,
	}
	if len(buttons) > 0 {
		rows := make([][]telego.InlineKeyboardButton, 0, len(buttons))
		for i, btn := range buttons {
			kb, err := btn.inline()
			if err != nil {
				return fmt.Errorf("telegram sendMessage: button %d: %w", i, err)
			}
			rows = append(rows, []telego.InlineKeyboardButton{kb})
		}
		params.ReplyMarkup = &telego.InlineKeyboardMarkup{InlineKeyboard: rows}
	}
	_, err := b.api.SendMessage(ctx, params)
	return wrap("sendMessage", err)
}

func (btn Button) inline() (telego.InlineKeyboardButton, error) {
	kb := telego.InlineKeyboardButton{Text: btn.Text}
	switch {
	case btn.Text == "":
		return kb, errors.New("empty text")
	case btn.WebAppURL != "" && btn.URL != "":
		return kb, errors.New("set either WebAppURL or URL, not both")
	case btn.WebAppURL != "":
		kb.WebApp = &telego.WebAppInfo{URL: btn.WebAppURL}
	case btn.URL != "":
		kb.URL = btn.URL
	default:
		return kb, errors.New("needs WebAppURL or URL")
	}
	return kb, nil
}

// parseModeFor avoids sending parse_mode with an empty caption, which
// Telegram accepts but which would make the recorded call misleading.
func parseModeFor(caption string) string {
	if caption == "" {
		return ""
	}
	return telego.ModeHTML
}
