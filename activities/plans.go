package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/pricing"
	"github.com/starsesim/esimstore/store"
)

// SyncResult summarises one catalogue sync.
type SyncResult struct {
	OnSale  int
	Skipped int // bundles that cannot be sold for Stars (price over the cap)
}

// SyncPlans copies eSIM Go's catalogue into the plan table with the store's
// prices. eSIM Go asks resellers not to fetch the catalogue per request, so
// buyers only ever read the table. Running it twice gives the same table.
//
// The catalogue is eSIM Go's costliest read, and nobody waits on it (nor
// on the balance check after it): they take only budget no purchase is
// queued for.
func (a *Activities) SyncPlans(ctx context.Context) (SyncResult, error) {
	ctx = budget.WithPriority(ctx, budget.Background)
	bundles, err := a.ESIM.Catalogue(ctx)
	if err != nil {
		return SyncResult{}, esimError("sync catalogue", err)
	}
	var res SyncResult
	plans := make([]store.Plan, 0, len(bundles))
	for _, b := range bundles {
		q, err := a.Pricing.Price(b.Price)
		if errors.Is(err, pricing.ErrUnpriceable) {
			res.Skipped++
			continue
		}
		if err != nil {
			return SyncResult{}, err
		}
		plans = append(plans, store.Plan{
			ID: b.Name, Name: planName(b), Description: b.Description, Countries: b.CountryISOs(), Region: b.Region,
			DataMB: int(b.DataMB), DurationDays: b.DurationDays, Unlimited: b.Unlimited,
			WholesaleUSD: q.WholesaleUSD, PriceUSD: q.PriceUSD, PriceStars: q.Stars,
		})
	}
	if len(plans) == 0 {
		// An empty answer is far likelier an eSIM Go hiccup than a store with
		// nothing to sell; keep the current table.
		return res, fmt.Errorf("sync catalogue: eSIM Go returned no sellable bundles")
	}
	if err := a.Store.ReplacePlans(ctx, plans); err != nil {
		return SyncResult{}, err
	}
	res.OnSale = len(plans)
	a.log().Info("plans synced", "on_sale", res.OnSale, "skipped", res.Skipped)
	a.checkESIMGoBalance(ctx)
	return res, nil
}

// planName is a short human title: "United Kingdom · 1 GB · 7 days".
func planName(b esimgo.Bundle) string {
	where := b.Region
	if len(b.Countries) == 1 {
		where = b.Countries[0].Name
	}
	if where == "" {
		where = strings.Join(b.CountryISOs(), ", ")
	}
	data := "Unlimited"
	if !b.Unlimited {
		if b.DataMB >= 1000 && b.DataMB%1000 == 0 {
			data = fmt.Sprintf("%d GB", b.DataMB/1000)
		} else {
			data = fmt.Sprintf("%d MB", b.DataMB)
		}
	}
	return fmt.Sprintf("%s · %s · %d days", where, data, b.DurationDays)
}
