package i18n

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

func TestCataloguesComplete(t *testing.T) {
	for lang, cat := range catalogues {
		for key := range english {
			if cat[key] == "" {
				t.Errorf("%s catalogue lacks %s", lang, key)
			}
		}
	}
}

func TestLang(t *testing.T) {
	tests := map[string]string{"ru": "ru", "ru-RU": "ru", "en": "en", "en-GB": "en", "": "en", "de": "en"}
	for code, want := range tests {
		if got := Lang(code); got != want {
			t.Errorf("Lang(%q) = %q, want %q", code, got, want)
		}
	}
	if T("ru", OrdersEmpty) == T("en", OrdersEmpty) {
		t.Error("Russian and English texts are the same")
	}
	if got := T("en", RefundNotice, 137, "o1", "x"); got != "We refunded 137 ⭐ for order o1. Reason: x" {
		t.Errorf("formatted = %q", got)
	}
}

func TestHTMLEscapesArgumentsButNotMarkup(t *testing.T) {
	reason := "speed <1 Mbps & no <b>signal"
	got := HTML("en", RefundNotice, int64(137), "o-1", reason)
	want := "We refunded 137 ⭐ for order o-1. Reason: speed &lt;1 Mbps &amp; no &lt;b&gt;signal"
	if got != want {
		t.Fatalf("HTML = %q, want %q", got, want)
	}
	if got := HTML("en", RefundNotice, int64(1), "o", Markup("<b>x</b>")); !strings.HasSuffix(got, "<b>x</b>") {
		t.Fatalf("Markup escaped: %q", got)
	}
	if got := T("en", RefundNotice, int64(1), "o", reason); !strings.HasSuffix(got, reason) {
		t.Fatalf("T must not escape (plain-text destinations): %q", got)
	}
}

func TestEveryRefundReasonHasATextInEveryLanguage(t *testing.T) {
	for _, r := range contract.RefundReasons {
		for lang, cat := range catalogues {
			if _, ok := cat[Key(r)]; !ok {
				t.Errorf("%s: no %s text for refund reason %q", lang, lang, r)
			}
		}
	}
}

// TestEveryTextIsSafeHTML formats every text of every catalogue with
// arguments full of markup characters and reads it as Telegram would: it
// must be accepted, and each argument must reach the buyer verbatim.
func TestEveryTextIsSafeHTML(t *testing.T) {
	verb := regexp.MustCompile(`%[sdv]`)
	for lang, cat := range catalogues {
		for key, text := range cat {
			var args []any
			var want []string
			for i, at := range verb.FindAllStringIndex(text, -1) {
				if text[at[0]:at[1]] == "%d" {
					args = append(args, int64(137+i))
					continue
				}
				s := fmt.Sprintf(`Europe & UK <Lite> "%d" it's <b>`, i)
				args = append(args, s)
				if !strings.HasSuffix(text[:at[0]], `="`) { // an attribute (href) is not shown
					want = append(want, s)
				}
			}
			got, err := telegramtest.ParseHTML(HTML(lang, key, args...))
			if err != nil {
				t.Errorf("%s %s: Telegram refuses it: %v", lang, key, err)
				continue
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s: the buyer reads %q, which lacks %q", lang, key, got, w)
				}
			}
		}
	}
}

func TestHTMLEscapesNamedStringTypes(t *testing.T) {
	type planID string
	got := HTML("en", CancelDone, planID("a<b"))
	if !strings.Contains(got, "a&lt;b") {
		t.Fatalf("HTML = %q", got)
	}
}

// TestDeliveryCaptionSaysRoamingAndFits: the QR's caption carries the two
// settings behind most "no internet" tickets (data roaming on for the eSIM,
// the eSIM chosen for mobile data), and still fits Telegram's 1024-character
// caption limit, counted on the parsed text in UTF-16 units as Telegram
// counts, for long names and codes.
func TestDeliveryCaptionSaysRoamingAndFits(t *testing.T) {
	plan := "Bosnia and Herzegovina, Montenegro & North Macedonia <Balkans+> · Unlimited Lite · 30 days"
	smdp := "smdp-plus.rsp.prod.example-operator.international.net"
	code := "K2-2BGN4Y-1AXRHG9-ABCDEFGH-1234567-XYZ0"
	lpa := "LPA:1$" + smdp + "$" + code
	ios := "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=" + lpa
	want := map[string][]string{
		"en": {"data roaming", "mobile data"},
		"ru": {"роуминг данных", "мобильного интернета"},
	}
	for lang, words := range want {
		got, err := telegramtest.ParseHTML(HTML(lang, DeliveryCaption, plan, smdp, code, ios, ios))
		if err != nil {
			t.Fatalf("%s: Telegram refuses the caption: %v", lang, err)
		}
		for _, w := range words {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the caption lacks %q:\n%s", lang, w, got)
			}
		}
		// Leave room for names longer still than these.
		if n := len(utf16.Encode([]rune(got))); n > 800 {
			t.Errorf("%s: the caption is %d characters; Telegram's limit is 1024 and names vary", lang, n)
		}
	}
}
