package i18n

import (
	"strings"
	"testing"

	"github.com/starsesim/esimstore/contract"
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
