// Package pricing turns an eSIM Go wholesale price into what the buyer pays,
// following the pricing contract in docs/architecture.md#pricing. All arithmetic is
// decimal: a binary float turns 1.36 into 1.3600000000000000977 and a price
// ceiling then rounds a whole Star up for nothing.
package pricing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// MaxStars is Telegram's cap on a single Stars invoice item; a price above it
// cannot be sold.
const MaxStars = 10000

var hundred = decimal.NewFromInt(100)

// Rules are the configured conversion settings.
type Rules struct {
	MarkupPercent decimal.Decimal // e.g. 30
	StarsUSDRate  decimal.Decimal // USD value of one Star, e.g. 0.013
}

// Quote is the price of one plan.
type Quote struct {
	WholesaleUSD decimal.Decimal
	PriceUSD     decimal.Decimal // rounded up to the cent
	Stars        int64
}

// ErrUnpriceable marks a wholesale price that cannot become a valid invoice.
var ErrUnpriceable = errors.New("price cannot be sold for Stars")

// Price applies price_usd = ceil_cent(wholesale × (1 + markup/100)) and
// stars = ceil(price_usd / rate).
func (r Rules) Price(wholesale decimal.Decimal) (Quote, error) {
	if !r.StarsUSDRate.IsPositive() {
		return Quote{}, fmt.Errorf("stars rate %s: %w", r.StarsUSDRate, ErrUnpriceable)
	}
	if !wholesale.IsPositive() {
		return Quote{}, fmt.Errorf("wholesale %s: %w", wholesale, ErrUnpriceable)
	}
	factor := decimal.NewFromInt(1).Add(r.MarkupPercent.Div(hundred))
	usd := wholesale.Mul(factor).RoundCeil(2)
	// An exact integer quotient and remainder, so the ceiling never depends
	// on how many digits a division keeps.
	q, rem := usd.QuoRem(r.StarsUSDRate, 0)
	stars := q.IntPart()
	if !rem.IsZero() {
		stars++
	}
	if stars < 1 || stars > MaxStars {
		return Quote{}, fmt.Errorf("%d Stars for %s USD: %w", stars, usd, ErrUnpriceable)
	}
	return Quote{WholesaleUSD: wholesale, PriceUSD: usd, Stars: stars}, nil
}
