package activities_test

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// The plan name comes from eSIM Go's catalogue and may hold anything.
func TestDeliveryCaptionShowsEveryNameVerbatim(t *testing.T) {
	r := newRig(t)
	const buyer = 5_079_065_042
	esim := contract.ESIM{ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1&2<3>"}
	for _, lang := range []string{"en", "ru"} {
		_, err := r.env.ExecuteActivity(r.acts.DeliverESIM, activities.DeliverInput{OrderID: "o-html-" + lang, ChatID: buyer,
			Lang: lang, PlanName: `Europe & UK <Lite> "5GB"`, ESIM: esim})
		if err != nil {
			t.Fatalf("%s: deliver: %v", lang, err)
		}
	}
	photos := r.tg.Chat(buyer)
	if len(photos) != 2 {
		t.Fatalf("chat = %+v, want two photos", photos)
	}
	for _, p := range photos {
		if p.Kind != telegramtest.KindPhoto {
			t.Errorf("%s in the chat, want a photo", p.Kind)
		}
		for _, want := range []string{`Europe & UK <Lite> "5GB"`, "rsp.example.com", "M-1&2<3>"} {
			if !strings.Contains(p.Plain, want) {
				t.Errorf("the buyer reads %q, which lacks %q", p.Plain, want)
			}
		}
	}
}

// A message Telegram refuses for good is not retried, and the error says
// what Telegram said, for the timeline.
func TestRefusedMessagesArePermanentErrorsWithTelegramsWords(t *testing.T) {
	r := newRig(t)
	const buyer = 5_079_065_043
	long := strings.Repeat("Europe & UK ", 100)
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"unescaped notice", func() error {
			_, err := r.env.ExecuteActivity(r.acts.NotifyBuyer, activities.NotifyInput{OrderID: "o-raw", ChatID: buyer,
				Text: i18n.T("en", i18n.RefundNotice, 137, "o-raw", "speed <1 Mbps & no <b>signal")})
			return err
		}, `can't parse entities: Unsupported start tag "1"`},
		{"caption over 1024 characters", func() error {
			_, err := r.env.ExecuteActivity(r.acts.DeliverESIM, activities.DeliverInput{OrderID: "o-long", ChatID: buyer,
				Lang: "en", PlanName: long, ESIM: contract.ESIM{SMDPAddress: "rsp.example.com", MatchingID: "M-1"}})
			return err
		}, "message caption is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var app *temporal.ApplicationError
			if !containsType(err, contract.ErrTypePermanentTG) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a %s error saying %q", err, contract.ErrTypePermanentTG, tt.want)
			}
			if errors.As(err, &app) && !app.NonRetryable() {
				t.Errorf("a refused message is retried: %v", err)
			}
		})
	}
	if chat := r.tg.Chat(buyer); len(chat) != 0 {
		t.Errorf("refused messages reached the chat: %+v", chat)
	}
	// The same notice built with i18n.HTML arrives, reason and all.
	if _, err := r.env.ExecuteActivity(r.acts.NotifyBuyer, activities.NotifyInput{OrderID: "o-raw", ChatID: buyer,
		Text: i18n.HTML("en", i18n.RefundNotice, 137, "o-raw", "speed <1 Mbps & no <b>signal")}); err != nil {
		t.Fatal(err)
	}
	if chat := r.tg.Chat(buyer); len(chat) != 1 || !strings.HasSuffix(chat[0].Plain, "Reason: speed <1 Mbps & no <b>signal") {
		t.Errorf("chat = %+v", chat)
	}
}
