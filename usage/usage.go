// Package usage answers what a buyer asks after the sale — is my eSIM
// installed, how much data is left, can this bundle go onto it — from a
// cache in PostgreSQL that eSIM Go reads and callbacks keep fresh. However
// many buyers, API processes and bot chats ask, one eSIM costs at most one
// refresh per Every (5 minutes): the refresh is claimed with a conditional
// UPDATE in the ledger, so concurrent askers make one read between them
// and the others serve the cache. eSIM Go allows the whole account 10
// requests a second.
package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
)

// Defaults of Service.
const (
	DefaultEvery        = 5 * time.Minute
	DefaultCompatMaxAge = 24 * time.Hour
	// refreshPerList bounds the eSIM Go reads one listing may make; a buyer
	// with more stale eSIMs sees the rest from the cache this time.
	refreshPerList = 5
	// listBudget bounds how long a listing waits for eSIM Go before it
	// answers from the cache.
	listBudget = 4 * time.Second
)

// Service reads and refreshes the after-sale cache.
type Service struct {
	Store *store.Store
	// ESIM is used for reads only.
	ESIM *esimgo.Client
	// Every is the least time between two eSIM Go reads of one eSIM.
	Every time.Duration
	// CompatMaxAge is how long a compatibility answer is trusted.
	CompatMaxAge time.Duration
	Logger       *slog.Logger
}

func (s *Service) every() time.Duration {
	if s.Every > 0 {
		return s.Every
	}
	return DefaultEvery
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Refresh reads the eSIM from eSIM Go if no read of it was claimed within
// Every, and reports whether it did. The profile is read only while the
// eSIM is not known to be installed (afterwards callbacks report changes),
// so an installed eSIM costs one call per refresh, its bundles.
func (s *Service) Refresh(ctx context.Context, iccid string) (bool, error) {
	// A refresh only improves what the cache shows: it takes eSIM Go's
	// request budget only when no purchase is waiting for it.
	ctx = budget.WithPriority(ctx, budget.Background)
	claimed, err := s.Store.ClaimESIMRefresh(ctx, iccid, s.every())
	if err != nil || !claimed {
		return false, err
	}
	state, _, err := s.Store.InstallStateOf(ctx, iccid)
	if err != nil {
		return false, err
	}
	var profile *store.ProfileInfo
	if state == store.InstallNotInstalled {
		e, err := s.ESIM.ESIM(ctx, iccid)
		if err != nil {
			return false, fmt.Errorf("refresh esim %s: %w", iccid, err)
		}
		profile = &store.ProfileInfo{InstallState: esimgo.InstallState(e.ProfileStatus, e.FirstInstalledAt),
			ProfileStatus: e.ProfileStatus, FirstInstalledAt: e.FirstInstalledAt}
	}
	list, err := s.ESIM.Bundles(ctx, iccid)
	if err != nil {
		return false, fmt.Errorf("refresh bundles of esim %s: %w", iccid, err)
	}
	bundles := make([]store.ESIMBundle, 0, len(list))
	for _, b := range list {
		bundles = append(bundles, Bundle(b))
	}
	if err := s.Store.SaveESIMRefresh(ctx, iccid, profile, bundles); err != nil {
		return false, err
	}
	return true, nil
}

// Bundle converts eSIM Go's assignment into the cache's row.
func Bundle(b esimgo.BundleAssignment) store.ESIMBundle {
	return store.ESIMBundle{Assignment: b.Key(), AssignmentID: b.ID, Name: b.Name, Description: b.Description,
		Initial: b.Initial, Remaining: b.Remaining, Unlimited: b.Unlimited, State: b.State,
		AssignedAt: timePtr(b.AssignedAt), StartsAt: timePtr(b.StartTime), EndsAt: timePtr(b.EndTime)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// List returns the buyer's eSIMs, newest first, refreshing stale ones
// first within a short budget. eSIM Go being slow or down never fails
// the listing: the cache is served, and the failure logged.
func (s *Service) List(ctx context.Context, userID int64) ([]store.OwnedESIM, error) {
	list, err := s.Store.BuyerESIMs(ctx, userID)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, listBudget)
	defer cancel()
	refreshed, tried := 0, 0
	for _, e := range list {
		if tried == refreshPerList || rctx.Err() != nil {
			break
		}
		if e.RefreshedAt != nil && time.Since(*e.RefreshedAt) < s.every() {
			continue
		}
		tried++
		ok, err := s.Refresh(rctx, e.ICCID)
		if err != nil {
			s.log().Warn("esim refresh failed; serving the cache", "iccid", e.ICCID, "user_id", userID, "err", err)
			continue
		}
		if ok {
			refreshed++
		}
	}
	if refreshed == 0 {
		return list, nil
	}
	return s.Store.BuyerESIMs(ctx, userID)
}

// InstallState is the eSIM's install state, refreshed first when due.
func (s *Service) InstallState(ctx context.Context, iccid string) (string, error) {
	if _, err := s.Refresh(ctx, iccid); err != nil {
		s.log().Warn("esim refresh failed; using the cached install state", "iccid", iccid, "err", err)
	}
	state, _, err := s.Store.InstallStateOf(ctx, iccid)
	return state, err
}

// ErrUnknown means eSIM Go could not say whether the bundle fits (it failed).
var ErrUnknown = errors.New("compatibility unknown")

// Compatible reports whether bundle can be added to the eSIM, from the
// cache of its family when fresh, else from eSIM Go (then cached).
func (s *Service) Compatible(ctx context.Context, iccid, bundle string) (bool, error) {
	family := esimgo.BundleFamily(bundle)
	maxAge := s.CompatMaxAge
	if maxAge <= 0 {
		maxAge = DefaultCompatMaxAge
	}
	ok, found, err := s.Store.Compatibility(ctx, iccid, family, maxAge)
	if err != nil || found {
		return ok, err
	}
	ok, err = s.ESIM.Compatible(ctx, iccid, bundle)
	if err != nil {
		return false, fmt.Errorf("%w: %s on esim %s: %w", ErrUnknown, bundle, iccid, err)
	}
	return ok, s.Store.SaveCompatibility(ctx, iccid, family, ok)
}

// Forget drops the cached answer for bundle's family on the eSIM, after
// eSIM Go refused a top-up the cache said would fit.
func (s *Service) Forget(ctx context.Context, iccid, bundle string) error {
	return s.Store.ForgetCompatibility(ctx, iccid, esimgo.BundleFamily(bundle))
}
