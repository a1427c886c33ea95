package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const chat int64 = -1_001_987_654_321

func newAlerter(t *testing.T, kinds ...contract.AlertKind) (*alerts.Alerter, *telegramtest.Fake) {
	t.Helper()
	st, _ := testenv.Store(t)
	fake, srv := telegramtest.NewServer(t, telegramtest.Options{})
	fake.AddGroup(chat, "Support")
	bot, err := telegram.NewBot(telegram.Config{Token: fake.Token(), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	on := map[contract.AlertKind]bool{}
	for _, k := range kinds {
		on[k] = true
	}
	return &alerts.Alerter{Store: st, Bot: bot, ChatID: chat, Enabled: on, PerHour: 2,
		Links: alerts.Links{TemporalUI: "http://127.0.0.1:8233", Namespace: "default"}}, fake
}

func TestRaise(t *testing.T) {
	a, fake := newAlerter(t, contract.AlertFulfilmentRefunded, contract.AlertRefundFailing)
	ctx := context.Background()
	order := "9b2f0c1e-0000-4000-8000-000000000001"
	steps := []struct {
		name  string
		alert alerts.Alert
		want  alerts.Outcome
	}{
		{"first", alerts.FulfilmentRefunded(order, "ch1", 137, "eSIM Go said <Bundle> & \"no\""), alerts.Posted},
		{"same charge again", alerts.FulfilmentRefunded(order, "ch1", 137, "again"), alerts.Duplicate},
		{"second of the hour", alerts.FulfilmentRefunded(order, "ch2", 137, "x"), alerts.Posted},
		{"third of the hour", alerts.FulfilmentRefunded(order, "ch3", 137, "x"), alerts.RateLimited},
		{"another kind has its own limit", alerts.RefundFailing(order, "ch4", 137, 5, "500"), alerts.Posted},
		{"kind switched off", alerts.PaymentUnresolved(order, "ch5", 137, time.Now()), alerts.Off},
	}
	for _, s := range steps {
		if got := a.Raise(ctx, s.alert); got != s.want {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}
	posted := fake.Chat(chat)
	if len(posted) != 3 {
		t.Fatalf("posted %d alerts, want 3: %+v", len(posted), posted)
	}
	first := posted[0].Text
	for _, want := range []string{"<b>Refunded: the eSIM could not be issued</b>", "<code>" + order + "</code>",
		`<a href="http://127.0.0.1:8233/namespaces/default/workflows/order-` + order + `">Temporal UI</a>`,
		"eSIM Go said &lt;Bundle&gt; &amp; &#34;no&#34;", "/order " + order} {
		if !strings.Contains(first, want) {
			t.Errorf("alert text lacks %q:\n%s", want, first)
		}
	}
}

// A post that fails is retried when the alert is raised again, instead of
// being swallowed as a duplicate.
func TestFailedPostIsRetried(t *testing.T) {
	a, fake := newAlerter(t, contract.AlertSupportRefund)
	ctx := context.Background()
	fake.SetFault("sendMessage", telegramtest.Fault{Code: 502, Times: 1})
	al := alerts.SupportRefundDone("o-1", "ch1", 137, "Zoë (6200000001)", 0)
	if got := a.Raise(ctx, al); got != alerts.Failed {
		t.Fatalf("first raise: %s", got)
	}
	if got := a.Raise(ctx, al); got != alerts.Posted {
		t.Fatalf("second raise: %s", got)
	}
	if got := a.Raise(ctx, al); got != alerts.Duplicate {
		t.Fatalf("third raise: %s", got)
	}
	if n := len(fake.Chat(chat)); n != 1 {
		t.Fatalf("%d posts", n)
	}
}

func TestNoSupportChatOnlyLogs(t *testing.T) {
	var a *alerts.Alerter
	if got := a.Raise(context.Background(), alerts.ESIMGoInsufficient("o-1", "esim_1GB", time.Now())); got != alerts.Off {
		t.Fatalf("nil alerter: %s", got)
	}
	b := &alerts.Alerter{Enabled: map[contract.AlertKind]bool{contract.AlertESIMGoBalance: true}}
	if got := b.Raise(context.Background(), alerts.ESIMGoInsufficient("o-1", "esim_1GB", time.Now())); got != alerts.Off {
		t.Fatalf("no chat: %s", got)
	}
}

func TestLinks(t *testing.T) {
	l := alerts.Links{TemporalUI: "https://ops.example/temporal/", Namespace: "shop prod"}
	if got := l.WorkflowURL("sub-1"); got != "https://ops.example/temporal/namespaces/shop%20prod/workflows/subscription-sub-1" {
		t.Errorf("subscription link = %s", got)
	}
	if got := (alerts.Links{}).OrderHTML("o<1>"); got != "Order <code>o&lt;1&gt;</code>" {
		t.Errorf("without UI = %s", got)
	}
}
