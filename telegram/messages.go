package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
)

// Button is an inline keyboard button: set WebAppURL to open the Mini App,
// URL for an ordinary link, or CallbackData (1-64 bytes) for a button whose
// press reaches the webhook as a callback_query.
type Button struct {
	Text         string
	WebAppURL    string
	URL          string
	CallbackData string
}

// MaxCallbackData is Telegram's limit on a button's callback_data, in bytes.
const MaxCallbackData = 64

// SendPhoto uploads a PNG (the eSIM QR code) with an HTML caption and
// optional buttons, each on its own row.
func (b *Bot) SendPhoto(ctx context.Context, chatID int64, png []byte, filename, caption string, buttons ...Button) error {
	if len(png) == 0 {
		return errors.New("telegram sendPhoto: empty image")
	}
	if filename == "" {
		filename = "photo.png"
	}
	params := &telego.SendPhotoParams{
		ChatID:    tu.ID(chatID),
		Photo:     tu.FileFromBytes(png, filename),
		Caption:   caption,
		ParseMode: parseModeFor(caption),
	}
	if len(buttons) > 0 {
		kb, err := keyboard(buttons)
		if err != nil {
			return fmt.Errorf("telegram sendPhoto: %w", err)
		}
		params.ReplyMarkup = kb
	}
	return b.send(ctx, "sendPhoto", chatID, func() error {
		_, err := b.api.SendPhoto(ctx, params)
		return wrap("sendPhoto", err)
	})
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
		kb, err := keyboard(buttons)
		if err != nil {
			return fmt.Errorf("telegram sendMessage: %w", err)
		}
		params.ReplyMarkup = kb
	}
	return b.send(ctx, "sendMessage", chatID, func() error {
		_, err := b.api.SendMessage(ctx, params)
		return wrap("sendMessage", err)
	})
}

// keyboard puts each button on its own row.
func keyboard(buttons []Button) (*telego.InlineKeyboardMarkup, error) {
	rows := make([][]telego.InlineKeyboardButton, 0, len(buttons))
	for i, btn := range buttons {
		kb, err := btn.inline()
		if err != nil {
			return nil, fmt.Errorf("button %d: %w", i, err)
		}
		rows = append(rows, []telego.InlineKeyboardButton{kb})
	}
	return &telego.InlineKeyboardMarkup{InlineKeyboard: rows}, nil
}

func (btn Button) inline() (telego.InlineKeyboardButton, error) {
	kb := telego.InlineKeyboardButton{Text: btn.Text}
	set := 0
	for _, v := range []string{btn.WebAppURL, btn.URL, btn.CallbackData} {
		if v != "" {
			set++
		}
	}
	switch {
	case btn.Text == "":
		return kb, errors.New("empty text")
	case set > 1:
		return kb, errors.New("set one of WebAppURL, URL or CallbackData")
	case len(btn.CallbackData) > MaxCallbackData:
		return kb, fmt.Errorf("callback data longer than %d bytes", MaxCallbackData)
	case btn.WebAppURL != "":
		kb.WebApp = &telego.WebAppInfo{URL: btn.WebAppURL}
	case btn.URL != "":
		kb.URL = btn.URL
	case btn.CallbackData != "":
		kb.CallbackData = btn.CallbackData
	default:
		return kb, errors.New("needs WebAppURL, URL or CallbackData")
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
