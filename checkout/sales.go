package checkout

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
)

// ErrSalesPaused means the eSIM Go balance is below STOP_SALES_BELOW_USD, so the
// store takes no Stars it could not turn into eSIMs. Nothing was charged.
var ErrSalesPaused = errors.New("sales are paused: the eSIM Go balance is below the floor")

// SalesGate pauses new sales while the eSIM Go balance is below Floor. It
// is asked when an order or a subscription is created and again at
// pre-checkout. The balance comes from the ledger: eSIM Go's balance alerts
// and the running balance of each order answer keep it; while it is below
// the floor (or unknown), the organisation is read again at most once per
// Recheck across every process, so a top-up of the account reopens sales
// within that time.
type SalesGate struct {
	Store *store.Store
	ESIM  *esimgo.Client
	// Floor is the balance (USD) below which sales pause; zero never pauses.
	Floor decimal.Decimal
	// Recheck bounds the organisation reads while paused. Default a minute.
	Recheck time.Duration
	Logger  *slog.Logger
}

// organisationBudget: the gate is on the buyer's path (and pre-checkout's
// 4 seconds), so a slow eSIM Go answer is not waited for.
const organisationBudget = 2 * time.Second

// Open returns nil when sales may go on, ErrSalesPaused when not. An
// unknown balance that eSIM Go cannot tell either leaves sales open: an
// order eSIM Go then refuses is refunded like any other.
func (g *SalesGate) Open(ctx context.Context) error {
	if g == nil || !g.Floor.IsPositive() {
		return nil
	}
	balance, _, found, err := g.Store.ESIMGoBalance(ctx)
	if err != nil {
		return err
	}
	if found && !balance.LessThan(g.Floor) {
		return nil
	}
	recheck := g.Recheck
	if recheck <= 0 {
		recheck = time.Minute
	}
	if claimed, err := g.Store.ClaimBalanceRead(ctx, recheck); err != nil {
		return err
	} else if claimed && g.ESIM != nil {
		rctx, cancel := context.WithTimeout(ctx, organisationBudget)
		org, err := g.ESIM.Organisation(rctx)
		cancel()
		if err == nil {
			balance, found = org.Balance, true
			if err := g.Store.SetESIMGoBalance(ctx, balance, store.BalanceFromOrganisation); err != nil {
				return err
			}
		} else {
			g.log().Warn("esim go balance unknown", "err", err)
		}
	}
	if found && balance.LessThan(g.Floor) {
		g.log().Warn("sale refused: esim go balance below the floor", "balance_usd", balance.String(),
			"floor_usd", g.Floor.String())
		return ErrSalesPaused
	}
	return nil
}

func (g *SalesGate) log() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.Default()
}
