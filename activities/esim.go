package activities

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/internal/heartbeat"
	"github.com/starsesim/esimstore/store"
)

// PlaceInput buys one eSIM for one charge, or, with ICCID, tops up an
// eSIM the buyer already has.
type PlaceInput struct {
	OrderID  string
	ChargeID string
	Bundle   string
	// ICCID is the eSIM a top-up adds the bundle to; "" buys a new eSIM.
	ICCID string
	// Since is when the charge was accepted; any eSIM Go order for this
	// charge was created after it.
	Since time.Time
}

// topUp reports whether the purchase adds a bundle to an existing eSIM.
func (in PlaceInput) topUp() bool { return in.ICCID != "" }

// lookupSkew covers clock differences between us and eSIM Go.
const lookupSkew = 2 * time.Minute

// PlaceESIMOrder buys the eSIM, or the top-up of an existing one (orders
// with a target ICCID and every subscription renewal). eSIM Go has no
// idempotency key, so this is where money rule 2 lives
// (docs/architecture.md#rule-2-a-paid-order-never-causes-two-esim-go-orders):
//   - the ledger is checked first: a charge that already has an eSIM order
//     is never ordered again;
//   - any attempt after the first may follow one whose request reached eSIM
//     Go and then died, so it first looks for an order placed since the
//     payment that no other charge has claimed, and claims it. "After the
//     first" is counted in the ledger (BeginESIMAttempt), not only by
//     Temporal: a local activity re-run after a worker restart starts again
//     at attempt 1;
//   - an order whose outcome is unknown is looked up after a settle time,
//     and only reported as failed (to be retried, which looks up again)
//     when nothing is found. A top-up only ever claims a top-up of that
//     same eSIM; a purchase never claims a top-up of an eSIM already sold.
//
// A top-up is checked for compatibility first (cached per bundle family)
// and sent with allowReassign:false, so eSIM Go refuses it rather than
// putting the bundle on a new eSIM; a refusal is permanent and refunded.
// If eSIM Go answers with another ICCID anyway, the answer is recorded as
// it is: the buyer's bundle is on that eSIM, and the workflow delivers it.
func (a *Activities) PlaceESIMOrder(ctx context.Context, in PlaceInput) (contract.ESIM, error) {
	defer heartbeat.Keep(ctx)()
	if e, err := a.Store.ESIMOrderByCharge(ctx, in.ChargeID); err == nil {
		return *esimView(e), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return contract.ESIM{}, err
	}
	ctx = a.queueBound(ctx)
	if in.topUp() {
		if err := a.checkCompatible(ctx, in); err != nil {
			return contract.ESIM{}, err
		}
	}
	// The order's slot in eSIM Go's budget comes before the attempt is
	// noted: a retry reckons from the attempt's start how long its order
	// may take to appear, and that must not include a wait in the queue.
	// A slot too far off (a local first try waits a second at most) ends
	// the attempt before it began, with nothing sent.
	send, err := a.ESIM.ReserveOrder(ctx)
	if err != nil {
		return contract.ESIM{}, esimError("place esim order "+in.OrderID, err)
	}
	attempt, err := a.Store.BeginESIMAttempt(ctx, in.OrderID, in.ChargeID)
	if err != nil {
		return contract.ESIM{}, err
	}
	if attempt.Prior > 0 || activity.GetInfo(ctx).Attempt > 1 {
		if err := a.settleEarlierAttempt(ctx, in, attempt); err != nil {
			return contract.ESIM{}, err
		}
		if e, ok, err := a.claim(ctx, in); err != nil || ok {
			return e, err
		}
		// Settling and looking took a while: the slot booked above has
		// passed. Book a fresh one and restart the attempt's clock at the
		// moment the request can leave.
		if send, err = a.ESIM.ReserveOrder(ctx); err != nil {
			a.endAttempt(ctx, in, true) // nothing was sent
			return contract.ESIM{}, esimError("place esim order "+in.OrderID, err)
		}
		if err := a.Store.RestartESIMAttempt(ctx, in.ChargeID); err != nil {
			return contract.ESIM{}, err
		}
	}
	item := esimgo.OrderItem{Type: "bundle", Item: in.Bundle, Quantity: 1}
	if in.topUp() {
		item.ICCIDs, item.AllowReassign = []string{in.ICCID}, false
	}
	placed, err := a.ESIM.CreateOrder(send, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{item}})
	if esimgo.KindOf(err) == esimgo.KindOutcomeUnknown {
		a.endAttempt(ctx, in, false)
		a.countESIMError(err)
		a.log().Warn("esim order outcome unknown; looking it up", "order_id", in.OrderID, "charge_id", in.ChargeID, "err", err)
		select {
		case <-ctx.Done():
			return contract.ESIM{}, ctx.Err()
		case <-time.After(a.OutcomeSettle):
		}
		if e, ok, cerr := a.claim(ctx, in); cerr != nil || ok {
			return e, cerr
		}
		return contract.ESIM{}, esimError("place esim order "+in.OrderID, err)
	}
	if err != nil {
		a.countESIMError(err)
		// eSIM Go refused: no order of this attempt can appear later, so
		// the retry need not wait for one before it looks.
		a.endAttempt(ctx, in, true)
		if esimgo.KindOf(err) == esimgo.KindInsufficientBalance {
			// Operators must top up; the order waits within its fulfilment deadline.
			a.log().Error("ALERT esim go balance too low for an order", "order_id", in.OrderID, "bundle", in.Bundle)
			a.Alerts.Raise(ctx, alerts.ESIMGoInsufficient(in.OrderID, in.Bundle, a.now()))
		}
		if in.topUp() && !esimgo.IsRetryable(err) && a.Usage != nil {
			// The cached "compatible" was wrong, or is no longer right.
			if ferr := a.Usage.Forget(ctx, in.ICCID, in.Bundle); ferr != nil {
				a.log().Warn("forget compatibility", "order_id", in.OrderID, "iccid", in.ICCID, "err", ferr)
			}
		}
		return contract.ESIM{}, esimError("place esim order "+in.OrderID, err)
	}
	a.noteBalance(ctx, placed)
	a.checkRunningBalance(ctx, in.OrderID, placed)
	return a.record(ctx, in, placed, false)
}

// checkCompatible refuses a top-up eSIM Go has said cannot go onto the
// eSIM, before anything is bought.
func (a *Activities) checkCompatible(ctx context.Context, in PlaceInput) error {
	if a.Usage == nil {
		return nil
	}
	ok, err := a.Usage.Compatible(ctx, in.ICCID, in.Bundle)
	if err != nil {
		a.countESIMError(err)
		return esimError("check compatibility for "+in.OrderID, err)
	}
	if !ok {
		return temporal.NewNonRetryableApplicationError("bundle "+in.Bundle+" is not compatible with eSIM "+in.ICCID,
			contract.ErrTypeIncompatible, nil)
	}
	return nil
}

// noteBalance keeps the eSIM Go balance the order answer reports (v2.5's
// runningBalance), which the sales pause reads.
func (a *Activities) noteBalance(ctx context.Context, o esimgo.Order) {
	if o.RunningBalance.IsZero() {
		return // absent (before v2.5), or truly empty: the next refusal tells
	}
	if err := a.Store.SetESIMGoBalance(ctx, o.RunningBalance, store.BalanceFromOrder); err != nil {
		a.log().Warn("record esim go balance", "err", err)
	}
}

// settleEarlierAttempt waits until an earlier attempt's order, if eSIM Go
// committed it, must be visible: eSIM Go may commit an order a while after
// its request ended (CommitGrace), and a request that never recorded its
// end may have run for the whole order timeout. Looking before then could
// miss the order and buy a second eSIM.
func (a *Activities) settleEarlierAttempt(ctx context.Context, in PlaceInput, attempt store.Attempt) error {
	if attempt.PriorAt.IsZero() || attempt.PriorRefused {
		return nil
	}
	ended := attempt.PriorEndedAt
	if ended.IsZero() { // it never ended: its request may have run the whole timeout
		ended = attempt.PriorAt.Add(a.ESIM.OrderTimeout())
	}
	wait := ended.Add(a.CommitGrace).Sub(a.now())
	if wait <= 0 {
		return nil
	}
	a.log().Info("waiting for an earlier purchase attempt to settle before looking it up", "order_id", in.OrderID,
		"charge_id", in.ChargeID, "wait_ms", wait.Milliseconds())
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

// endAttempt notes how an attempt ended without an order (see
// store.EndESIMAttempt). Failing to note it only makes the next attempt
// wait longer, so it is logged, not returned.
func (a *Activities) endAttempt(ctx context.Context, in PlaceInput, refused bool) {
	if err := a.Store.EndESIMAttempt(ctx, in.ChargeID, refused); err != nil {
		a.log().Warn("note end of esim attempt", "order_id", in.OrderID, "charge_id", in.ChargeID, "err", err)
	}
}

// claim adopts an eSIM Go order for in.Bundle placed since in.Since that no
// charge owns yet: for a top-up, a top-up of in.ICCID; for a purchase, one
// that tops up no eSIM the store sold. The ledger's unique reference makes
// the claim atomic.
func (a *Activities) claim(ctx context.Context, in PlaceInput) (contract.ESIM, bool, error) {
	candidates, err := a.ESIM.FindOrderSince(ctx, in.Since.Add(-lookupSkew), in.Bundle)
	if err != nil {
		return contract.ESIM{}, false, esimError("look up esim orders for "+in.OrderID, err)
	}
	refs := make([]string, 0, len(candidates))
	var iccids []string
	for _, c := range candidates {
		refs = append(refs, c.Reference)
		for _, l := range c.Items {
			iccids = append(iccids, l.ICCIDs...)
		}
	}
	known, err := a.Store.KnownESIMReferences(ctx, refs)
	if err != nil {
		return contract.ESIM{}, false, err
	}
	// A top-up of an eSIM we already sold (a subscription renewal in
	// flight) is never a new eSIM for this charge.
	topUps, err := a.Store.KnownICCIDs(ctx, iccids)
	if err != nil {
		return contract.ESIM{}, false, err
	}
	// Oldest first: the order our earliest attempt placed.
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].CreatedDate.Before(candidates[j].CreatedDate) })
	if in.topUp() {
		candidates = topUpCandidates(candidates, in, topUps)
	}
	for _, c := range candidates {
		if known[c.Reference] || c.Reference == "" || (!in.topUp() && topsUpKnownESIM(c, topUps)) {
			continue
		}
		e, err := a.record(ctx, in, c, true)
		if errors.Is(err, store.ErrAlreadyClaimed) {
			continue // another charge claimed it a moment ago
		}
		if err != nil {
			return contract.ESIM{}, false, err
		}
		a.log().Info("claimed esim order after unknown outcome", "order_id", in.OrderID, "charge_id", in.ChargeID,
			"esim_reference", c.Reference)
		return e, true, nil
	}
	return contract.ESIM{}, false, nil
}

// topUpCandidates orders what a top-up's lookup may claim: the top-up of
// its own eSIM first; then an order that put the bundle on an eSIM the
// ledger has never seen, which is what eSIM Go reassigning the top-up
// (despite allowReassign:false) with its answer lost looks like. Taking a
// new eSIM that was really another charge's purchase costs nothing: that
// charge's own attempt then finds this one's order, the same bundle on a
// new eSIM, so every charge still has exactly one order. Top-ups of other
// eSIMs are never candidates.
func topUpCandidates(candidates []esimgo.Order, in PlaceInput, knownICCIDs map[string]bool) []esimgo.Order {
	var own, fresh []esimgo.Order
	for _, c := range candidates {
		switch iccid := lineICCID(c, in.Bundle); {
		case iccid == in.ICCID:
			own = append(own, c)
		case iccid != "" && !knownICCIDs[iccid]:
			fresh = append(fresh, c)
		}
	}
	return append(own, fresh...)
}

func topsUpKnownESIM(o esimgo.Order, known map[string]bool) bool {
	for _, l := range o.Items {
		for _, id := range l.ICCIDs {
			if known[id] {
				return true
			}
		}
	}
	return false
}

// lineICCID returns the eSIM the order's line for bundle went to.
func lineICCID(o esimgo.Order, bundle string) string {
	for _, l := range o.Items {
		if l.Item == bundle && len(l.ICCIDs) > 0 {
			return l.ICCIDs[0]
		}
	}
	return ""
}

func (a *Activities) record(ctx context.Context, in PlaceInput, o esimgo.Order, claimed bool) (contract.ESIM, error) {
	row := store.ESIMOrder{Reference: o.Reference, OrderID: in.OrderID, ChargeID: in.ChargeID, Bundle: in.Bundle,
		TotalUSD: o.Total, Claimed: claimed}
	if as := o.Assignments(); len(as) > 0 {
		row.ICCID, row.SMDPAddress, row.MatchingID = as[0].ICCID, esimgo.NormalizeSMDP(as[0].SMDPAddress), as[0].MatchingID
	}
	if in.topUp() {
		if err := a.topUpDetails(ctx, in, o, &row); err != nil {
			return contract.ESIM{}, err
		}
	}
	if err := a.Store.RecordESIMOrder(ctx, row); err != nil {
		if errors.Is(err, store.ErrAlreadyClaimed) && !claimed {
			// Our fresh order's reference cannot belong to anyone else; the
			// charge itself already has an order (a concurrent attempt).
			if e, lerr := a.Store.ESIMOrderByCharge(ctx, in.ChargeID); lerr == nil {
				return *esimView(e), nil
			}
		}
		return contract.ESIM{}, err
	}
	event, detail := "esim_ordered", map[string]any{"reference": o.Reference, "bundle": in.Bundle,
		"claimed_after_unknown_outcome": claimed}
	if in.topUp() {
		event = EventToppedUp
		detail["iccid"], detail["top_up_of"], detail["charge_id"] = row.ICCID, in.ICCID, in.ChargeID
		if row.ICCID != in.ICCID {
			detail["reassigned"] = true
			a.log().Error("ALERT top-up landed on another eSIM", "order_id", in.OrderID, "charge_id", in.ChargeID,
				"want_iccid", in.ICCID, "got_iccid", row.ICCID, "esim_reference", o.Reference)
		}
	}
	if err := a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":"+event+":"+in.ChargeID, event, "system", detail); err != nil {
		return contract.ESIM{}, err
	}
	if in.topUp() {
		// The buyer's next look (and the delivery's) shows the new bundle.
		if err := a.Store.ExpireESIMRefresh(ctx, row.ICCID); err != nil {
			a.log().Warn("expire esim cache after a top-up", "order_id", in.OrderID, "iccid", row.ICCID, "err", err)
		}
	}
	return *esimView(row), nil
}

// EventToppedUp is the timeline event of a bundle added to an existing eSIM.
const EventToppedUp = "topped_up"

// topUpDetails fills in where a top-up went. eSIM Go echoes the ICCIDs of
// each line (since v2.3); an answer without them went where it was asked
// to. The install details of the eSIM topped up are those of its purchase
// when the answer lacks them; a top-up that landed on a new eSIM keeps the
// answer's (or none: the workflow then fetches them).
func (a *Activities) topUpDetails(ctx context.Context, in PlaceInput, o esimgo.Order, row *store.ESIMOrder) error {
	row.ICCID, row.SMDPAddress, row.MatchingID = lineICCID(o, in.Bundle), "", ""
	if row.ICCID == "" {
		row.ICCID = in.ICCID
	}
	for _, as := range o.Assignments() {
		if as.ICCID == row.ICCID && as.MatchingID != "" {
			row.SMDPAddress, row.MatchingID = esimgo.NormalizeSMDP(as.SMDPAddress), as.MatchingID
		}
	}
	if row.MatchingID != "" || row.ICCID != in.ICCID {
		return nil
	}
	owner, err := a.Store.OwnerOfESIM(ctx, in.ICCID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	row.SMDPAddress, row.MatchingID = owner.SMDPAddress, owner.MatchingID
	return nil
}

// FetchInput names the eSIM Go order whose install details are needed.
type FetchInput struct {
	OrderID   string
	ChargeID  string
	Reference string
}

// FetchInstallDetails reads ICCID, SM-DP+ and matching id. eSIM Go answers
// 503 with Retry-After while it is still assigning; the retry policy waits
// that long. Reading is idempotent.
func (a *Activities) FetchInstallDetails(ctx context.Context, in FetchInput) (contract.ESIM, error) {
	defer heartbeat.Keep(ctx)()
	e, err := a.Store.ESIMOrderByCharge(ctx, in.ChargeID)
	if err != nil {
		return contract.ESIM{}, fmt.Errorf("fetch install details of %s: %w", in.OrderID, err)
	}
	if e.MatchingID == "" {
		as, err := a.ESIM.Assignments(ctx, in.Reference)
		if err != nil {
			a.countESIMError(err)
			return contract.ESIM{}, esimError("fetch install details of "+in.OrderID, err)
		}
		if len(as) == 0 {
			return contract.ESIM{}, temporal.NewApplicationError("no eSIM assigned yet to "+in.Reference, contract.ErrTypeESIMNotAssigned)
		}
		e.ICCID, e.SMDPAddress, e.MatchingID = as[0].ICCID, esimgo.NormalizeSMDP(as[0].SMDPAddress), as[0].MatchingID
		if err := a.Store.SetInstallDetails(ctx, e.Reference, e.ICCID, e.SMDPAddress, e.MatchingID); err != nil {
			return contract.ESIM{}, err
		}
	}
	return *esimView(e), nil
}

// RevokeInput removes an unused bundle after a support refund.
type RevokeInput struct {
	OrderID string
	ICCID   string
	Bundle  string
}

// Timeline events of a support refund's bundle revoke. The workflow writes
// EventBundleRevokeFailed (with eSIM Go's answer) when RevokeBundle fails
// for good, which also counts esimstore_bundle_revoke_failures_total.
const (
	EventBundleRevoked      = "bundle_revoked"
	EventBundleRevokeFailed = "bundle_revoke_failed"
)

// RevokeBundle takes the bundle back from eSIM Go, crediting the store's
// balance when it is unused. eSIM Go refusing (the bundle has started, is
// used, is older than its refund window, or is not on the eSIM at all) is
// a permanent error carrying eSIM Go's answer; the workflow records it.
func (a *Activities) RevokeBundle(ctx context.Context, in RevokeInput) error {
	if err := a.ESIM.RevokeBundle(ctx, in.ICCID, in.Bundle); err != nil {
		a.countESIMError(err)
		if esimgo.KindOf(err) == esimgo.KindNotFound {
			return temporal.NewNonRetryableApplicationError("eSIM Go has no revocable "+in.Bundle+" on "+in.ICCID+": "+err.Error(),
				contract.ErrTypePermanentESIM, err)
		}
		return esimError("revoke bundle of "+in.OrderID, err)
	}
	return a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":"+EventBundleRevoked, EventBundleRevoked, "system",
		map[string]any{"iccid": in.ICCID, "bundle": in.Bundle})
}

// LookupESIM returns the eSIM the ledger holds for a charge, if any.
func (a *Activities) LookupESIM(ctx context.Context, chargeID string) (*contract.ESIM, error) {
	e, err := a.Store.ESIMOrderByCharge(ctx, chargeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return esimView(e), nil
}

func lpa(smdp, matchingID string) string {
	if smdp == "" || matchingID == "" {
		return ""
	}
	return esimgo.LPA(smdp, matchingID)
}
