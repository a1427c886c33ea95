package telegram

import (
	"errors"
	"testing"
)

func TestCheckSecret(t *testing.T) {
	const want = "s3cr3t_-X"
	for _, tc := range []struct {
		name, got, want string
		ok              bool
	}{
		{"missing", "", want, false},
		{"wrong", "s3cr3t_-Y", want, false},
		{"prefix", "s3cr3t", want, false},
		{"right", want, want, true},
		{"unconfigured", "", "", false},
	} {
		if got := CheckSecret(tc.got, tc.want); got != tc.ok {
			t.Errorf("%s: CheckSecret = %v, want %v", tc.name, got, tc.ok)
		}
	}
	if ValidateSecretToken("ok_token-1") != nil || ValidateSecretToken("bad token") == nil || ValidateSecretToken("") == nil {
		t.Error("ValidateSecretToken rules")
	}
}

func TestParseUpdate(t *testing.T) {
	t.Run("successful_payment", func(t *testing.T) {
		u, err := ParseUpdate([]byte(`{"update_id":10,"message":{"message_id":5,"from":{"id":4503599627370495,"is_bot":false,"first_name":"Ada"},
		  "chat":{"id":4503599627370495,"type":"private","first_name":"Ada"},"date":1784548800,"new_field":{"x":1},
		  "successful_payment":{"currency":"XTR","total_amount":137,"invoice_payload":"ord_1",
		    "subscription_expiration_date":1787140800,"is_recurring":true,"is_first_recurring":true,
		    "telegram_payment_charge_id":"stx1","provider_payment_charge_id":"4503599627370495_1"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		sp := u.Message.SuccessfulPayment
		if u.UpdateID != 10 || sp == nil || sp.TotalAmount != 137 || sp.InvoicePayload != "ord_1" || !sp.IsRecurring ||
			!sp.IsFirstRecurring || sp.SubscriptionExpirationDate != 1787140800 || sp.TelegramPaymentChargeID != "stx1" ||
			u.Message.From.ID != 1<<52-1 || u.Message.Chat.ID != 1<<52-1 {
			t.Fatalf("got %+v %+v", u, sp)
		}
	})
	t.Run("refunded_payment", func(t *testing.T) {
		u, err := ParseUpdate([]byte(`{"update_id":11,"message":{"message_id":6,"chat":{"id":5079065042,"type":"private"},"date":1,
		  "refunded_payment":{"currency":"XTR","total_amount":137,"invoice_payload":"ord_1","telegram_payment_charge_id":"stx1"}}}`))
		if err != nil || u.Message.RefundedPayment == nil || u.Message.RefundedPayment.TelegramPaymentChargeID != "stx1" {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("pre_checkout_query", func(t *testing.T) {
		u, err := ParseUpdate([]byte(`{"update_id":12,"pre_checkout_query":{"id":"99","from":{"id":5079065042,"first_name":"Ada"},
		  "currency":"XTR","total_amount":137,"invoice_payload":"ord_1","order_info":{}}}`))
		if err != nil || u.PreCheckoutQuery == nil || u.PreCheckoutQuery.ID != "99" || u.PreCheckoutQuery.From.ID != 5_079_065_042 {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("subscription", func(t *testing.T) {
		u, err := ParseUpdate([]byte(`{"update_id":13,"subscription":{"user":{"id":5079065042,"first_name":"Ada"},"invoice_payload":"ord_1","state":"canceled"}}`))
		if err != nil || u.Subscription == nil || u.Subscription.State != SubscriptionCanceled || u.Subscription.User.ID != 5_079_065_042 {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("unknown kind", func(t *testing.T) {
		u, err := ParseUpdate([]byte(`{"update_id":14,"message_reaction":{"chat":{"id":1}}}`))
		if err != nil || u.Message != nil || u.PreCheckoutQuery != nil || u.Subscription != nil {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	for _, bad := range []string{``, `[]`, `{"update_id":"x"}`, `{}`, `{"message":{}}`, `nul`} {
		if _, err := ParseUpdate([]byte(bad)); !errors.Is(err, ErrMalformedUpdate) {
			t.Errorf("ParseUpdate(%q) err = %v", bad, err)
		}
	}
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		text, name, args string
		ok               bool
	}{
		{"/start plan_x", "start", "plan_x", true},
		{"/start", "start", "", true},
		{"/start@esim_store_bot plan_x", "start", "plan_x", true},
		{"/Orders", "orders", "", true},
		{"/paysupport  order 7 ", "paysupport", "order 7", true},
		{"/start\nplan_y", "start", "plan_y", true},
		{"hello", "", "", false},
		{"/", "", "", false},
		{"/ start", "", "", false},
		{"/stärt", "", "", false},
	} {
		name, args, ok := (&Message{Text: tc.text}).Command()
		if name != tc.name || args != tc.args || ok != tc.ok {
			t.Errorf("Command(%q) = %q, %q, %v; want %q, %q, %v", tc.text, name, args, ok, tc.name, tc.args, tc.ok)
		}
	}
	var nilMsg *Message
	if _, _, ok := nilMsg.Command(); ok {
		t.Error("nil message has a command")
	}
}

// FuzzParseUpdate checks that arbitrary bodies never panic the parser and
// that accepted updates have an id.
func FuzzParseUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":1,"text":"/start plan_x"}}`))
	f.Add([]byte(`{"update_id":2,"pre_checkout_query":{"id":"1","from":{"id":1},"currency":"XTR","total_amount":1,"invoice_payload":"p"}}`))
	f.Add([]byte(`{"update_id":3,"message":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := ParseUpdate(body)
		if err != nil {
			return
		}
		if u.UpdateID <= 0 {
			t.Fatalf("accepted update without id: %s", body)
		}
		_, _, _ = u.Message.Command()
	})
}
