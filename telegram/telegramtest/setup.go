package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/starsesim/esimstore/telegram"
)

func (f *Fake) getMe(_ *http.Request, _ *Call) (any, *apiError) {
	u := f.botUser()
	return map[string]any{
		"id": u.ID, "is_bot": true, "first_name": u.FirstName, "username": u.Username,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
	}, nil
}

func (f *Fake) setWebhook(_ *http.Request, c *Call) (any, *apiError) {
	raw := c.Param("url")
	secret := c.Param("secret_token")
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, badRequest("bad webhook: Failed to resolve host: Name or service not known")
		}
	}
	if secret != "" {
		if err := telegram.ValidateSecretToken(secret); err != nil {
			return nil, badRequest("secret token contains unallowed characters")
		}
	}
	var allowed []string
	if c.Has("allowed_updates") {
		if err := c.JSON("allowed_updates", &allowed); err != nil {
			return nil, badRequest("can't parse allowed updates JSON object")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhookURL, f.webhookSecret = raw, secret
	// "If not specified, the previous setting will be used."
	if c.Has("allowed_updates") {
		f.allowed = allowed
	}
	if c.Bool("drop_pending_updates") {
		f.pending = nil
	}
	return true, nil
}

func (f *Fake) deleteWebhook(_ *http.Request, c *Call) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhookURL, f.webhookSecret = "", ""
	if c.Bool("drop_pending_updates") {
		f.pending = nil
	}
	return true, nil
}

func (f *Fake) getWebhookInfo(_ *http.Request, _ *Call) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info := map[string]any{
		"url": f.webhookURL, "has_custom_certificate": false,
		"pending_update_count": len(f.pending), "max_connections": 40,
	}
	if f.allowed != nil {
		info["allowed_updates"] = f.allowed
	}
	return info, nil
}

// Webhook returns the URL and secret currently set.
func (f *Fake) Webhook() (url, secret string, allowedUpdates []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.webhookURL, f.webhookSecret, append([]string(nil), f.allowed...)
}

// validCommand applies Telegram's rule: 1-32 of a-z, 0-9 and _.
func validCommand(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !commandChar(r) {
			return false
		}
	}
	return true
}

func commandChar(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' }

func (f *Fake) setMyCommands(_ *http.Request, c *Call) (any, *apiError) {
	if !c.Has("commands") {
		return nil, missing("commands")
	}
	var cmds []telegram.Command
	if err := c.JSON("commands", &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, cmd := range cmds {
		if !validCommand(cmd.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(cmd.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands[c.Param("language_code")] = cmds
	return true, nil
}

// Commands returns the commands set for a language ("" = default).
func (f *Fake) Commands(lang string) []telegram.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]telegram.Command(nil), f.commands[lang]...)
}

func (f *Fake) setChatMenuButton(_ *http.Request, c *Call) (any, *apiError) {
	var btn struct {
		Type   string `json:"type"`
		Text   string `json:"text"`
		WebApp *struct {
			URL string `json:"url"`
		} `json:"web_app"`
	}
	if c.Has("menu_button") {
		if err := c.JSON("menu_button", &btn); err != nil {
			return nil, badRequest("can't parse menu button JSON object")
		}
		if btn.Type == "web_app" && (strings.TrimSpace(btn.Text) == "" || btn.WebApp == nil || !webAppURLAllowed(btn.WebApp.URL)) {
			return nil, badRequest("BUTTON_URL_INVALID")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.menuButton = json.RawMessage(c.Param("menu_button"))
	return true, nil
}

// MenuButton returns the menu_button JSON last set (nil if none).
func (f *Fake) MenuButton() json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append(json.RawMessage(nil), f.menuButton...)
}
