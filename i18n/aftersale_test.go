package i18n

import "testing"

func TestDataAmount(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		bytes int64
		want  string
	}{
		{"en", 3_000_000_000, "3 GB"},
		{"en", 2_100_000_000, "2.1 GB"},
		{"en", 2_049_999_999, "2 GB"},
		{"en", 10_000_000_000, "10 GB"},
		{"en", 12_600_000_000, "13 GB"},
		{"en", 500_000_000, "500 MB"},
		{"en", 999_999, "999 KB"},
		{"en", 0, "0 KB"},
		{"ru", 2_100_000_000, "2,1 ГБ"},
		{"ru", 500_000_000, "500 МБ"},
	} {
		if got := DataAmount(tc.lang, tc.bytes); got != tc.want {
			t.Errorf("DataAmount(%s, %d) = %q, want %q", tc.lang, tc.bytes, got, tc.want)
		}
	}
	if Tail("8944538532008160222") != "0222" || Tail("12") != "12" {
		t.Error("Tail")
	}
}

func TestAfterSaleTextsEscapeESIMGoText(t *testing.T) {
	got := HTML("en", UsageAlert, 80, "3 GB", "0222", "A <b> & B")
	if want := "⚠️ 80 % of 3 GB used on your eSIM …0222 (A &lt;b&gt; &amp; B). Top up now to stay online."; got != want {
		t.Fatalf("alert = %q, want %q", got, want)
	}
}
