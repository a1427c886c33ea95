package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/starsesim/esimstore/telegram"
)

// TestIDsEndToEnd: a Telegram user id uses up to 52 bits (5 079 065 042 is
// an ordinary account). Every id crosses the whole store unchanged: signed
// initData → order → Stars payment → the buyer's list in the Mini App → the
// bot's /orders → the support filter → the operators' search attribute.
func TestIDsEndToEnd(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	tq := fmt.Sprintf(`TaskQueue = %q`, s.Cfg.TemporalTaskQueue)
	for _, id := range []int64{1, 1<<31 - 1, 1 << 31, 5_079_065_042, 1<<52 - 1} {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			s := &shop{Sandbox: s.Sandbox, t: t}
			// get reports a failed step and goes on, so one run shows every place that breaks.
			get := func(path string, headers map[string]string, out any) int {
				var raw []byte
				code := s.call("GET", path, headers, nil, &raw)
				if err := json.Unmarshal(raw, out); code == http.StatusOK && err != nil {
					t.Errorf("GET %s: %v", path, err)
				}
				return code
			}
			u := telegram.User{ID: id, FirstName: "Buyer", LanguageCode: "en"}
			c := s.buy(u, planGB)
			charge := s.mustPay(c, u)
			s.waitStatus(u, c.OrderID, "fulfilled", 30*time.Second)

			var mine []orderView
			if code := get("/api/orders", s.as(u), &mine); code != http.StatusOK ||
				len(mine) != 1 || mine[0].OrderID != c.OrderID || mine[0].Status != "fulfilled" {
				t.Errorf("GET /api/orders = %d %+v, want only %s", code, mine, c.OrderID)
			}

			if err := s.Telegram.SendText(ctx, u, "/orders"); err != nil {
				t.Fatal(err)
			}
			if got := lastBotText(t, s.Telegram, id).Text; !strings.Contains(got, c.OrderID) {
				t.Errorf("/orders = %q, want the order %s", got, c.OrderID)
			}

			var listed []struct {
				OrderID string `json:"order_id"`
				UserID  int64  `json:"user_id"`
			}
			if code := get(fmt.Sprintf("/admin/orders?user_id=%d", id), s.admin(), &listed); code != http.StatusOK ||
				len(listed) != 1 || listed[0].OrderID != c.OrderID || listed[0].UserID != id {
				t.Errorf("GET /admin/orders?user_id=%d = %d %+v, want only %s", id, code, listed, c.OrderID)
			}
			var detail struct {
				Order struct {
					UserID int64 `json:"user_id"`
				} `json:"order"`
				Payments []struct {
					ChargeID string `json:"charge_id"`
					UserID   int64  `json:"user_id"`
				} `json:"payments"`
			}
			get("/admin/orders/"+c.OrderID, s.admin(), &detail)
			if detail.Order.UserID != id || len(detail.Payments) != 1 || detail.Payments[0].UserID != id || detail.Payments[0].ChargeID != charge {
				t.Errorf("admin order = %+v, want user %d and charge %s", detail, id, charge)
			}

			query := fmt.Sprintf(`TelegramUserId = %d AND %s`, id, tq)
			var found []string
			waitFor(t, 15*time.Second, "the order by TelegramUserId", func() bool {
				resp, err := s.App.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
				if err != nil {
					t.Fatalf("list %q: %v", query, err)
				}
				found = found[:0]
				for _, e := range resp.Executions {
					found = append(found, e.Execution.WorkflowId)
				}
				return len(found) == 1 && found[0] == "order-"+c.OrderID
			})
		})
	}
}
