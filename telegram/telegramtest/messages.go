package telegramtest

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/starsesim/esimstore/telegram"
)

func (f *Fake) sendMessage(_ *http.Request, c *Call) (any, *apiError) {
	chatID, aerr := chatIDParam(c)
	if aerr != nil {
		return nil, aerr
	}
	text := c.Param("text")
	plain, aerr := parseEntities(c.Param("parse_mode"), text)
	if aerr != nil {
		return nil, aerr
	}
	if strings.TrimSpace(plain) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(plain) > maxTextLength {
		return nil, badRequest("message is too long")
	}
	buttons, aerr := inlineButtons(c)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := f.checkReachable(chatID); aerr != nil {
		return nil, aerr
	}
	replyTo, aerr := f.replyParam(c, chatID)
	if aerr != nil {
		return nil, aerr
	}
	return f.addChat(chatID, ChatItem{Kind: KindText, Text: text, Plain: plain, ParseMode: c.Param("parse_mode"),
		Buttons: buttons, ReplyTo: replyTo}), nil
}

// Telegram's limits, counted on the text after entity parsing (markup and
// entities do not count) and in characters: the documentation says
// characters, and a reported live measurement found an emoji outside the
// Basic Multilingual Plane counted once, not as two UTF-16 units.
const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
)

func (f *Fake) sendPhoto(_ *http.Request, c *Call) (any, *apiError) {
	chatID, aerr := chatIDParam(c)
	if aerr != nil {
		return nil, aerr
	}
	item := ChatItem{Kind: KindPhoto, Text: c.Param("caption"), ParseMode: c.Param("parse_mode")}
	if file, ok := c.File("photo"); ok {
		// Telegram decodes the upload; a non-image fails like this.
		if ct := http.DetectContentType(file.Data); !strings.HasPrefix(ct, "image/") {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		item.Photo, item.FileName = file.Data, file.Name
	} else if c.Param("photo") == "" {
		return nil, badRequest("there is no photo in the request")
	}
	plain, aerr := parseEntities(item.ParseMode, item.Text)
	if aerr != nil {
		return nil, aerr
	}
	if utf8.RuneCountInString(plain) > maxCaptionLength {
		return nil, badRequest("message caption is too long")
	}
	item.Plain = plain
	buttons, aerr := inlineButtons(c)
	if aerr != nil {
		return nil, aerr
	}
	item.Buttons = buttons
	if aerr := f.checkReachable(chatID); aerr != nil {
		return nil, aerr
	}
	if item.ReplyTo, aerr = f.replyParam(c, chatID); aerr != nil {
		return nil, aerr
	}
	return f.addChat(chatID, item), nil
}

// parseEntities returns the text the buyer reads, or Telegram's refusal.
func parseEntities(mode, text string) (string, *apiError) {
	switch strings.ToLower(mode) {
	case "":
		return text, nil
	case "html":
		plain, err := ParseHTML(text)
		if err != nil {
			return "", badRequest("can't parse entities: %s", err)
		}
		return plain, nil
	case "markdown", "markdownv2":
		return text, nil // not used by the store; accepted unchecked
	}
	return "", badRequest("unsupported parse_mode")
}

// inlineButtons reads reply_markup.inline_keyboard.
func inlineButtons(c *Call) ([]telegram.Button, *apiError) {
	if !c.Has("reply_markup") {
		return nil, nil
	}
	var markup struct {
		InlineKeyboard [][]struct {
			Text   string `json:"text"`
			URL    string `json:"url"`
			WebApp *struct {
				URL string `json:"url"`
			} `json:"web_app"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := c.JSON("reply_markup", &markup); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	var out []telegram.Button
	for _, row := range markup.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, badRequest("BUTTON_TEXT_INVALID")
			}
			if len(b.CallbackData) > telegram.MaxCallbackData {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			btn := telegram.Button{Text: b.Text, URL: b.URL, CallbackData: b.CallbackData}
			if b.WebApp != nil {
				if !webAppURLAllowed(b.WebApp.URL) {
					return nil, badRequest("BUTTON_URL_INVALID")
				}
				btn.WebAppURL = b.WebApp.URL
			}
			if btn.URL == "" && btn.WebAppURL == "" && b.CallbackData == "" {
				return nil, badRequest("can't find field \"url\"")
			}
			out = append(out, btn)
		}
	}
	return out, nil
}

// replyParam reads reply_parameters: the message of chatID to reply to. A
// missing message fails unless allow_sending_without_reply is set, in which
// case the message is sent without a reply.
func (f *Fake) replyParam(c *Call, chatID int64) (int64, *apiError) {
	if !c.Has("reply_parameters") {
		return 0, nil
	}
	var rp struct {
		MessageID                int64 `json:"message_id"`
		AllowSendingWithoutReply bool  `json:"allow_sending_without_reply"`
	}
	if err := c.JSON("reply_parameters", &rp); err != nil {
		return 0, badRequest("can't parse reply parameters JSON object")
	}
	f.mu.Lock()
	_, ok := f.itemLocked(chatID, rp.MessageID)
	f.mu.Unlock()
	switch {
	case ok:
		return rp.MessageID, nil
	case rp.AllowSendingWithoutReply:
		return 0, nil
	}
	return 0, badRequest("message to be replied not found")
}

// webAppURLAllowed applies Telegram's HTTPS rule for Mini App URLs, except
// for loopback hosts so the local sandbox can serve the Mini App over HTTP
// (a deliberate deviation from Telegram).
func webAppURLAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}
