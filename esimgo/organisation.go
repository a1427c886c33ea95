package esimgo

import (
	"context"
	"net/http"

	"github.com/shopspring/decimal"
)

// Organisation is the reseller account. Balance includes any test credit.
type Organisation struct {
	Name        string
	Balance     decimal.Decimal
	Currency    string
	TestCredit  decimal.Decimal
	CallbackURL string
}

// Organisation returns the account and its prepaid balance; check it before
// taking a customer's money for an order the balance cannot cover.
func (c *Client) Organisation(ctx context.Context) (Organisation, error) {
	cl := call{op: "get organisation", method: http.MethodGet, path: []string{"organisation"}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return Organisation{}, err
	}
	// The answer also echoes the API key; it is deliberately not decoded.
	var w struct {
		Name        string          `json:"name"`
		Balance     decimal.Decimal `json:"balance"`
		Currency    string          `json:"currency"`
		TestCredit  decimal.Decimal `json:"testCredit"`
		CallbackURL string          `json:"callbackUrl"`
	}
	if err := decode(cl, r, &w); err != nil {
		return Organisation{}, err
	}
	return Organisation{Name: w.Name, Balance: w.Balance, Currency: w.Currency, TestCredit: w.TestCredit, CallbackURL: w.CallbackURL}, nil
}
