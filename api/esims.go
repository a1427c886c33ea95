package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
)

// After the sale: the buyer's eSIMs with install state and data left, the
// plans that can top one up, and eSIM Go's callbacks.

// iccidPattern: eSIM Go's ICCIDs are 19–20 digits; anything else is refused
// before it reaches a query or an eSIM Go path.
var iccidPattern = regexp.MustCompile(`^[0-9]{10,22}$`)

type bundleJSON struct {
	Name           string     `json:"name"`
	PlanName       string     `json:"plan_name"`
	Description    string     `json:"description"`
	InitialBytes   int64      `json:"initial_bytes"`
	RemainingBytes int64      `json:"remaining_bytes"`
	Unlimited      bool       `json:"unlimited"`
	StartsAt       *time.Time `json:"starts_at"`
	EndsAt         *time.Time `json:"ends_at"`
	State          string     `json:"state"`
}

type esimCardJSON struct {
	ICCID        string       `json:"iccid"`
	InstallState string       `json:"install_state"`
	OrderIDs     []string     `json:"order_ids"`
	PlanID       string       `json:"plan_id"`
	PlanName     string       `json:"plan_name"`
	RefreshedAt  *time.Time   `json:"refreshed_at"`
	Bundles      []bundleJSON `json:"bundles"`
}

// listMyESIMs answers GET /api/esims: the buyer's eSIMs, newest first, the
// bundle in use first on each. Stale ones are refreshed from eSIM Go first
// (at most once per eSIM per 5 minutes, whoever asks), within a short
// budget; otherwise the cache answers.
func (s *Server) listMyESIMs(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.Usage.List(ctx, buyerOf(c).ID)
	if err != nil {
		return err
	}
	names := s.planNames(ctx, list)
	out := make([]esimCardJSON, 0, len(list))
	for _, e := range list {
		card := esimCardJSON{ICCID: e.ICCID, InstallState: e.InstallState, OrderIDs: e.OrderIDs, PlanID: e.PlanID,
			PlanName: e.PlanName, RefreshedAt: e.RefreshedAt, Bundles: make([]bundleJSON, 0, len(e.Bundles))}
		for _, b := range e.Bundles {
			card.Bundles = append(card.Bundles, bundleJSON{Name: b.Name, PlanName: names[b.Name], Description: b.Description,
				InitialBytes: b.Initial, RemainingBytes: b.Remaining, Unlimited: b.Unlimited, StartsAt: b.StartsAt,
				EndsAt: b.EndsAt, State: b.State})
		}
		out = append(out, card)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// planNames maps the bundles on the eSIMs to the store's plan names.
func (s *Server) planNames(ctx context.Context, list []store.OwnedESIM) map[string]string {
	names := map[string]string{}
	for _, e := range list {
		for _, b := range e.Bundles {
			if _, done := names[b.Name]; done {
				continue
			}
			names[b.Name] = ""
			if p, err := s.Store.GetPlan(ctx, b.Name); err == nil {
				names[b.Name] = p.Name
			}
		}
	}
	return names
}

// maxTopUpFamilies bounds the compatibility questions one listing of
// top-up plans may send to eSIM Go (each bundle family is asked once per
// eSIM, then cached).
const maxTopUpFamilies = 6

// myESIMPlans answers GET /api/esims/{iccid}/plans: the plans on sale for
// the countries of the eSIM's first plan that eSIM Go says fit the eSIM,
// cheapest first, in GET /api/plans's shape. Families eSIM Go could not
// answer for (or beyond the first few) are left out this time.
func (s *Server) myESIMPlans(c echo.Context) error {
	ctx := c.Request().Context()
	iccid := c.Param("iccid")
	if !iccidPattern.MatchString(iccid) {
		return fail(c, http.StatusNotFound, "esim_not_found", "eSIM not found.")
	}
	owner, err := s.Store.OwnerOfESIM(ctx, iccid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner.UserID != buyerOf(c).ID) {
		return fail(c, http.StatusNotFound, "esim_not_found", "eSIM not found.")
	}
	if err != nil {
		return err
	}
	first, err := s.Store.GetPlan(ctx, owner.PlanID)
	if err != nil {
		return err
	}
	var candidates []store.Plan
	for _, country := range first.Countries {
		plans, err := s.Store.ListPlans(ctx, country)
		if err != nil {
			return err
		}
		for _, p := range plans {
			if !slices.ContainsFunc(candidates, func(q store.Plan) bool { return q.ID == p.ID }) {
				candidates = append(candidates, p)
			}
		}
	}
	fits := map[string]bool{}
	asked := 0
	out := []planJSON{}
	for _, p := range candidates {
		family := esimgo.BundleFamily(p.ID)
		ok, known := fits[family]
		if !known {
			if asked == maxTopUpFamilies {
				continue
			}
			asked++
			var err error
			ok, err = s.Usage.Compatible(ctx, iccid, p.ID)
			if err != nil {
				s.log().Warn("top-up compatibility unknown", "iccid", iccid, "plan_id", p.ID, "err", err)
				ok = false
			}
			fits[family] = ok
		}
		if ok {
			out = append(out, planOut(p))
		}
	}
	slices.SortStableFunc(out, func(a, b planJSON) int { return int(a.PriceStars - b.PriceStars) })
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// esimgoCallback receives eSIM Go's V3 callbacks. The signature (HMAC of
// the raw body with the API key) is checked before anything is parsed or
// stored: without it, 401 and no effect. The body is kept in the inbox
// under its hash and handed to the eSIM's workflow; the answer comes as
// soon as that is durable. Types the store does not act on are kept and
// ignored (200). A failure to store answers 503, so eSIM Go may try again.
func (s *Server) esimgoCallback(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err // the body limit's 413 arrives here
	}
	if !esimgo.VerifySignature(s.ESIMGoAPIKey, body, c.Request().Header.Get(esimgo.SignatureHeader)) {
		if s.Observe != nil {
			s.Observe.ESIMGoCallback("", false)
		}
		s.log().Warn("esim go callback refused: bad or missing signature", "bytes", len(body))
		return fail(c, http.StatusUnauthorized, "unauthorized", "Missing or wrong X-Signature-SHA256.")
	}
	r, err := s.Orders.ESIMCallback(c.Request().Context(), body)
	if err != nil {
		s.log().Error("esim go callback not stored; answering 503", "hash", r.Hash, "err", err)
		return fail(c, http.StatusServiceUnavailable, "unavailable", "Try again.")
	}
	if s.Observe != nil {
		s.Observe.ESIMGoCallback(callbackLabel(r.Type), true)
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "duplicate": r.Duplicate})
}

// callbackLabel bounds the metric's label to the known alert types.
func callbackLabel(t string) string {
	switch t {
	case esimgo.AlertUtilisation, esimgo.AlertFirstUse, esimgo.AlertFirstAttachment, esimgo.AlertProfileStatusChange,
		esimgo.AlertLowBalance, esimgo.AlertInsufficientBalance, esimgo.EventESIMDeleted:
		return t
	}
	return "other"
}
