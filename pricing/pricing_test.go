package pricing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestPrice(t *testing.T) {
	tests := []struct {
		wholesale, markup, rate string
		wantUSD                 string
		wantStars               int64
	}{
		{"1.36", "30", "0.013", "1.77", 137}, // the contract's worked example
		{"1.00", "0", "0.01", "1.00", 100},   // exact division: no extra Star
		{"0.01", "30", "0.013", "0.02", 2},
		{"6.90", "30", "0.013", "8.97", 690},    // 8.97/0.013 = 690 exactly
		{"6.901", "30", "0.013", "8.98", 691},   // 8.9713 rounds up a cent
		{"10", "12.5", "0.013", "11.25", 866},   // fractional markup
		{"2.00", "30", "0.02", "2.60", 130},     // exact
		{"2.0001", "30", "0.02", "2.61", 131},   // any fraction of a cent counts
		{"100", "30", "0.013", "130.00", 10000}, // at the cap
	}
	for _, tt := range tests {
		r := Rules{MarkupPercent: d(tt.markup), StarsUSDRate: d(tt.rate)}
		q, err := r.Price(d(tt.wholesale))
		if err != nil {
			t.Fatalf("%s: %v", tt.wholesale, err)
		}
		if q.PriceUSD.StringFixed(2) != tt.wantUSD || q.Stars != tt.wantStars {
			t.Errorf("Price(%s, %s%%, %s) = %s USD %d Stars, want %s USD %d Stars",
				tt.wholesale, tt.markup, tt.rate, q.PriceUSD.StringFixed(2), q.Stars, tt.wantUSD, tt.wantStars)
		}
	}
}

func TestPriceRejects(t *testing.T) {
	r := Rules{MarkupPercent: d("30"), StarsUSDRate: d("0.013")}
	for _, w := range []string{"0", "-1", "100.01"} {
		if _, err := r.Price(d(w)); !errors.Is(err, ErrUnpriceable) {
			t.Errorf("Price(%s) err = %v, want ErrUnpriceable", w, err)
		}
	}
	if _, err := (Rules{StarsUSDRate: decimal.Zero}).Price(d("1")); !errors.Is(err, ErrUnpriceable) {
		t.Errorf("zero rate accepted")
	}
}
