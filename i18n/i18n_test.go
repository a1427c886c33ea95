package i18n

import "testing"

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
