package telegramtest

import (
	"fmt"
	"math"
	"net/http"
	"time"
)

// messageMethods are the calls that send a message to a chat: the ones
// Telegram's flood control counts (answers to queries, refunds and invoice
// links are not messages).
var messageMethods = map[string]bool{"sendMessage": true, "sendPhoto": true, "sendInvoice": true, "copyMessage": true}

// floodWindow is the span Telegram's message limits are stated for.
const floodWindow = time.Second

// flood keeps the recent messages, for Options.MessagesPerSecond and
// ChatMessagesPerSecond.
type flood struct {
	all    []time.Time
	byChat map[string][]time.Time
}

// floodControl answers a message call that exceeds the bot's or the chat's
// limit the way Telegram does: 429 "Too Many Requests: retry after N" with
// parameters.retry_after. Refused calls do not count.
func (f *Fake) floodControl(c *Call) *apiError {
	if !messageMethods[c.Method] || f.opts.MessagesPerSecond <= 0 && f.opts.ChatMessagesPerSecond <= 0 {
		return nil
	}
	chat := c.Param("chat_id")
	now := c.At
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flood.byChat == nil {
		f.flood.byChat = map[string][]time.Time{}
	}
	f.flood.all = recent(f.flood.all, now)
	f.flood.byChat[chat] = recent(f.flood.byChat[chat], now)
	var wait time.Duration
	if n := f.opts.MessagesPerSecond; n > 0 && len(f.flood.all) >= n {
		wait = f.flood.all[len(f.flood.all)-n].Add(floodWindow).Sub(now)
	}
	if n, sent := f.opts.ChatMessagesPerSecond, f.flood.byChat[chat]; n > 0 && len(sent) >= n {
		wait = max(wait, sent[len(sent)-n].Add(floodWindow).Sub(now))
	}
	if wait > 0 {
		secs := max(int(math.Ceil(wait.Seconds())), 1)
		return &apiError{Code: http.StatusTooManyRequests, Description: fmt.Sprintf("Too Many Requests: retry after %d", secs),
			RetryAfter: secs}
	}
	f.flood.all = append(f.flood.all, now)
	f.flood.byChat[chat] = append(f.flood.byChat[chat], now)
	return nil
}

// recent drops the times that have left the window.
func recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= floodWindow {
		i++
	}
	return ts[i:]
}
