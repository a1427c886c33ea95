package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
)

// supportReasons are what support types, markup characters and all; the
// last one would reach the buyer altered ("&amp;" read as "&") if it were
// sent unescaped.
var supportReasons = []string{
	`speed <1 Mbps & no <b>signal`,
	`no 5G > 3G & "LTE" <missing>`,
	`it's &amp; <i>not</i> what I ordered`,
}

// supportRefund plays support refunding an order soon after its payment,
// while the eSIM may still be in flight, through the admin API; it retries
// while the app is down or the payment has not reached the order yet.
func (w *world) supportRefund(ctx context.Context, l *ledger, orderID, reason string, after time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(after):
	}
	body, _ := json.Marshal(map[string]string{"reason": reason})
	for attempt := 0; attempt < 60 && ctx.Err() == nil; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.app.url+"/admin/orders/"+orderID+"/refund", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.cfg.AdminTokens[0].Token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var answer struct {
				Error string `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusAccepted:
				l.askedSupport(orderID, reason, true)
				return
			case resp.StatusCode == http.StatusConflict && answer.Error == "already_refunded":
				// Refunded for another reason first, or an earlier try of
				// ours went through and its answer was lost: the ledger says.
				l.askedSupport(orderID, reason, false)
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (l *ledger) askedSupport(orderID, reason string, accepted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.support[orderID] = reason
	if accepted {
		l.supportAccepted[orderID] = true
	}
}

// supportRefundRow is a refund support asked for, from the ledger.
type supportRefundRow struct {
	ChargeID, OrderID, Reason string
	Stars                     int64
}

// checkSupportRefunds: every refund support asked for reached Telegram with
// support's reason, and the buyer read the notice with that reason
// verbatim. It returns how many notices were read.
func (w *world) checkSupportRefunds(ctx context.Context, t *testing.T, l *ledger) int {
	t.Helper()
	rows, err := w.client.Store.Pool.Query(ctx, `SELECT telegram_payment_charge_id, order_id, reason, stars
		FROM refunds WHERE reason_code = $1`, string(contract.RefundSupport))
	if err != nil {
		t.Fatal(err)
	}
	refunds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[supportRefundRow])
	if err != nil {
		t.Fatal(err)
	}
	byOrder := map[string]supportRefundRow{}
	for _, r := range refunds {
		byOrder[r.OrderID] = r
	}
	for order := range l.supportAccepted {
		if _, ok := byOrder[order]; !ok {
			t.Errorf("support refund of order %s was accepted (202) but never made", order)
		}
	}
	read := 0
	for _, r := range refunds {
		asked, ok := l.support[r.OrderID]
		if !ok {
			t.Errorf("support refund of %s that nobody asked for", r.OrderID)
			continue
		}
		reason := i18n.T("en", i18n.RefundReasonSupport, asked)
		if r.Reason != reason {
			t.Errorf("order %s: the ledger's reason is %q, support wrote %q", r.OrderID, r.Reason, reason)
		}
		// What the buyer must read: the English notice (the suite's
		// buyers speak English) with support's words exactly.
		want := i18n.T("en", i18n.RefundNotice, r.Stars, r.OrderID, reason)
		if w.readNotice(ctx, l.orders[r.OrderID], want, 30*time.Second) {
			read++
			continue
		}
		failed := w.messagesFailed(ctx, r.OrderID)
		t.Errorf("order %s: the buyer never read %q; message_failed on the timeline: %v", r.OrderID, want, failed)
	}
	return read
}

// readNotice waits until the buyer's chat shows want as a bot message.
// Notices are best effort and may still be retrying when the money has
// settled, hence the wait.
func (w *world) readNotice(ctx context.Context, buyer int64, want string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		for _, m := range w.tg.Chat(buyer) {
			if m.FromBot && m.Plain == want {
				return true
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (w *world) messagesFailed(ctx context.Context, orderID string) []string {
	rows, err := w.client.Store.Pool.Query(ctx,
		`SELECT detail::text FROM order_events WHERE order_id = $1 AND kind = 'message_failed'`, orderID)
	if err != nil {
		return []string{err.Error()}
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return []string{err.Error()}
	}
	return out
}
