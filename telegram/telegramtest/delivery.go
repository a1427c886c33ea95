package telegramtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// outbound is an update waiting for (or in) delivery. Re-deliveries reuse
// the same bytes and update_id, as Telegram does.
type outbound struct {
	id   int64
	kind string
	body []byte
}

// newUpdate assigns the next update_id and serialises {"update_id", kind: payload}.
func (f *Fake) newUpdate(kind string, payload any) outbound {
	f.mu.Lock()
	f.nextUpdateID++
	id := f.nextUpdateID
	f.mu.Unlock()
	inner, _ := json.Marshal(payload)
	body, _ := json.Marshal(map[string]json.RawMessage{
		"update_id": json.RawMessage(fmt.Sprint(id)),
		kind:        inner,
	})
	return outbound{id: id, kind: kind, body: body}
}

// allowedLocked applies setWebhook's allowed_updates; the empty default
// excludes only chat_member and the reaction updates.
func (f *Fake) allowedLocked(kind string) bool {
	if len(f.allowed) == 0 {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(f.allowed, kind)
}

// deliver posts an update to the webhook, re-trying non-2xx answers. It
// reports whether the webhook accepted it. Updates the bot did not subscribe
// to are dropped; with no webhook or a paused one they wait in the queue.
func (f *Fake) deliver(ctx context.Context, u outbound) (bool, error) {
	f.mu.Lock()
	if !f.allowedLocked(u.kind) {
		f.mu.Unlock()
		return false, nil
	}
	if f.paused || f.webhookURL == "" {
		f.pending = append(f.pending, u)
		f.mu.Unlock()
		return false, nil
	}
	target, secret := f.webhookURL, f.webhookSecret
	f.mu.Unlock()

	err := f.post(ctx, target, secret, u)
	if err == nil {
		return true, nil
	}
	f.mu.Lock()
	f.pending = append(f.pending, u)
	f.mu.Unlock()
	return false, err
}

// post tries DeliveryAttempts times with doubling backoff.
func (f *Fake) post(ctx context.Context, target, secret string, u outbound) error {
	backoff := f.opts.DeliveryBackoff
	var lastErr error
	for attempt := 0; attempt < f.opts.DeliveryAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(backoff):
				backoff *= 2
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		lastErr = f.postOnce(ctx, target, secret, u.body)
		if lastErr == nil {
			return nil
		}
	}
	return fmt.Errorf("update %d not accepted after %d attempts: %w", u.id, f.opts.DeliveryAttempts, lastErr)
}

func (f *Fake) postOnce(ctx context.Context, target, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// PauseWebhook simulates a webhook outage: updates queue instead of being delivered.
func (f *Fake) PauseWebhook() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paused = true
}

// ResumeWebhook ends the outage and delivers the queued updates in order.
func (f *Fake) ResumeWebhook() {
	f.mu.Lock()
	f.paused = false
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = f.Flush(ctx)
}

// Pending returns how many updates wait for delivery.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// Flush re-delivers queued updates in update_id order; those that still fail
// stay queued and the first error is returned.
func (f *Fake) Flush(ctx context.Context) error {
	f.mu.Lock()
	if f.paused || f.webhookURL == "" {
		f.mu.Unlock()
		return nil
	}
	queue := f.pending
	f.pending = nil
	f.mu.Unlock()
	slices.SortFunc(queue, func(a, b outbound) int { return cmp.Compare(a.id, b.id) })
	var firstErr error
	for _, u := range queue {
		if _, err := f.deliver(ctx, u); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
