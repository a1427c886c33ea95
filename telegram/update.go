package telegram

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrMalformedUpdate is wrapped by ParseUpdate errors. A webhook should still
// answer such a body with 2xx: Telegram would re-send the same bytes forever.
var ErrMalformedUpdate = errors.New("malformed update")

// ParseUpdate decodes a webhook body. Unknown fields and update kinds are
// ignored so new Bot API versions do not break the webhook; only a body that
// is not a JSON object with a positive update_id is rejected.
func ParseUpdate(body []byte) (Update, error) {
	var u Update
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Update{}, fmt.Errorf("%w: not a JSON object", ErrMalformedUpdate)
	}
	if err := json.Unmarshal(trimmed, &u); err != nil {
		return Update{}, fmt.Errorf("%w: %v", ErrMalformedUpdate, err)
	}
	if u.UpdateID <= 0 {
		return Update{}, fmt.Errorf("%w: missing update_id", ErrMalformedUpdate)
	}
	return u, nil
}

// Command splits "/start plan_x" into ("start", "plan_x"). A "@botname"
// suffix (used in groups and by ?startgroup links) is dropped; the name is
// lower-cased because clients let users type commands in any case.
func (m *Message) Command() (name, args string, ok bool) {
	if m == nil || !strings.HasPrefix(m.Text, "/") {
		return "", "", false
	}
	head, rest, _ := strings.Cut(m.Text[1:], " ")
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		// "/start\nfoo": any whitespace ends the command word.
		rest = head[i+1:] + " " + rest
		head = head[:i]
	}
	head, _, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 32 {
		return "", "", false
	}
	for _, r := range head {
		if !commandChar(r) {
			return "", "", false
		}
	}
	return strings.ToLower(head), strings.TrimSpace(rest), true
}

// commandChar: a command word is letters, digits and _ (any case; Command
// lower-cases it).
func commandChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
}
