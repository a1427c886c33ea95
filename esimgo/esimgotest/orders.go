package esimgotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"strconv"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

type order struct {
	ref            string
	created        time.Time
	lines          []orderLine
	total          decimal.Decimal
	runningBalance decimal.Decimal
	assigned       bool
	sourceIP       string
}

type orderLine struct {
	item          string
	qty           int
	price         decimal.Decimal
	iccids        []string
	allowReassign bool
}

func (o *order) statusMessage() string {
	n := 0
	for _, l := range o.lines {
		n += len(l.iccids)
	}
	return fmt.Sprintf("Order completed: %d eSIMs assigned", n)
}

// wire renders o as OrderResponseTransaction; eSIM details only with withESIMs.
func (f *Fake) wireOrder(o *order, withESIMs bool) wireOrder {
	w := wireOrder{
		Total:          num(o.total),
		Currency:       f.opts.Currency,
		Status:         "completed",
		StatusMessage:  o.statusMessage(),
		OrderReference: o.ref,
		CreatedDate:    o.created.UTC().Format(time.RFC3339Nano),
		Assigned:       o.assigned,
		SourceIP:       o.sourceIP,
		RunningBalance: o.runningBalance.StringFixed(2),
	}
	for _, l := range o.lines {
		wl := wireOrderLine{Type: "bundle", Item: l.item, Quantity: l.qty, AllowReassign: l.allowReassign,
			PricePerUnit: num(l.price), SubTotal: num(l.price.Mul(decimal.NewFromInt(int64(l.qty))))}
		if withESIMs {
			wl.ICCIDs = slices.Clone(l.iccids)
			for _, id := range l.iccids {
				if e := f.esims[id]; e != nil {
					wl.ESIMs = append(wl.ESIMs, wireESIMCred{ICCID: e.iccid, MatchingID: e.matchingID, SMDPAddress: e.smdp})
				}
			}
		}
		w.Order = append(w.Order, wl)
	}
	return w
}

func (f *Fake) handleCreateOrder(w http.ResponseWriter, r *http.Request) {
	var req wireOrderRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	if req.Type != "validate" && req.Type != "transaction" {
		writeMessage(w, http.StatusBadRequest, "Invalid order type, must be one of validate, transaction")
		return
	}
	if len(req.Order) == 0 {
		writeMessage(w, http.StatusBadRequest, "Order must contain at least one item")
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.opts.Now().UTC()
	var lines []orderLine
	total := decimal.Zero
	for _, it := range req.Order {
		if it.Type != "" && it.Type != "bundle" {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Invalid item type %s", it.Type))
			return
		}
		b, ok := f.bundle(it.Item)
		if !ok {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Bundle %s does not exist", it.Item))
			return
		}
		if it.Quantity < 1 {
			writeMessage(w, http.StatusBadRequest, "Quantity must be at least 1")
			return
		}
		if len(it.ICCIDs) > 0 {
			if !req.Assign {
				writeMessage(w, http.StatusBadRequest, "ICCIDs can only be given with assign: true")
				return
			}
			if len(it.ICCIDs) != it.Quantity {
				writeMessage(w, http.StatusBadRequest, "Quantity must match the number of ICCIDs")
				return
			}
			for _, id := range it.ICCIDs {
				if f.esims[id] == nil {
					writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", id))
					return
				}
				if f.incompat[[2]string{id, it.Item}] && !it.AllowReassign {
					writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Bundle %s is not compatible with eSIM %s", it.Item, id))
					return
				}
			}
		}
		lines = append(lines, orderLine{item: it.Item, qty: it.Quantity, price: b.Price, iccids: slices.Clone(it.ICCIDs), allowReassign: it.AllowReassign})
		total = total.Add(b.Price.Mul(decimal.NewFromInt(int64(it.Quantity))))
	}
	// validate "runs all the same checks as a real order", balance included.
	if total.GreaterThan(f.balance) {
		writeMessage(w, http.StatusBadRequest, insufficientBalance)
		if req.Type == "transaction" {
			// eSIM Go also notifies the callback URL of a purchase that
			// failed for lack of credit; sent once the lock is released.
			body := balanceBody(esimgo.AlertInsufficientBalance, f.balance, total)
			go func() { _ = f.send(body) }()
		}
		return
	}

	if req.Type == "validate" {
		v := wireValidate{Total: num(total), Valid: true, Currency: f.opts.Currency,
			CreatedDate: now.Format(time.RFC3339Nano), Assigned: req.Assign}
		for _, l := range lines {
			v.Order = append(v.Order, wireOrderLine{Type: "bundle", Item: l.item, Quantity: l.qty,
				PricePerUnit: num(l.price), SubTotal: num(l.price.Mul(decimal.NewFromInt(int64(l.qty)))), AllowReassign: l.allowReassign})
		}
		writeJSON(w, http.StatusOK, v)
		return
	}

	f.balance = f.balance.Sub(total)
	o := &order{ref: uuid.NewString(), created: now, total: total, runningBalance: f.balance, assigned: req.Assign, sourceIP: remoteIP(r)}
	for _, l := range lines {
		if req.Assign {
			l.iccids = f.assignLine(l, o.ref, now)
		} else {
			l.iccids = nil // bought into inventory
		}
		o.lines = append(o.lines, l)
	}
	f.orders = append(f.orders, o)
	writeJSON(w, http.StatusOK, f.wireOrder(o, true))
}

// assignLine applies the line's bundle to its ICCIDs (top-up) or to new eSIMs,
// and returns the ICCIDs that received it. Callers hold f.mu.
func (f *Fake) assignLine(l orderLine, ref string, now time.Time) []string {
	var out []string
	b, _ := f.bundle(l.item)
	for i := range l.qty {
		var e *esim
		if i < len(l.iccids) {
			e = f.esims[l.iccids[i]]
			if f.incompat[[2]string{e.iccid, l.item}] || f.reassign[e.iccid] {
				// allowReassign (or the ReassignTopUps fault): eSIM Go hands
				// out a new eSIM instead.
				e = nil
			}
		}
		if e == nil {
			e = f.newESIM(now)
		}
		f.nextAssign++
		a := &bundleAssignment{
			id: strconv.FormatInt(f.nextAssign, 10), bundle: l.item, description: b.Description,
			reference: fmt.Sprintf("%s-%d", ref, i), order: ref, price: l.price, state: esimgo.BundleQueued, at: now,
			unlimited: b.Unlimited, days: b.DurationDays,
		}
		if !b.Unlimited {
			a.initial = b.DataMB * 1_000_000
			a.remaining = a.initial
		}
		e.assignments = append(e.assignments, a)
		out = append(out, e.iccid)
	}
	return out
}

func (f *Fake) handleListOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var filters []func(time.Time) bool
	for _, v := range q["createdAt"] {
		fn, err := parseTimeFilter(v)
		if err != nil {
			writeMessage(w, http.StatusBadRequest, err.Error())
			return
		}
		filters = append(filters, fn)
	}
	withESIMs := strings.EqualFold(q.Get("includeIccids"), "true")
	page, limit := intParam(q, "page", 1), intParam(q, "limit", 10)
	if page < 1 || limit < 1 {
		writeMessage(w, http.StatusBadRequest, "page and limit must be 1 or more")
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	var match []*order
	for _, o := range slices.Backward(f.orders) { // newest first
		ok := true
		for _, fn := range filters {
			ok = ok && fn(o.created)
		}
		if ok {
			match = append(match, o)
		}
	}
	start := min((page-1)*limit, len(match))
	end := min(start+limit, len(match))
	items := []wireOrder{}
	for _, o := range match[start:end] {
		items = append(items, f.wireOrder(o, withESIMs))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"orders":    items,
		"rows":      len(match),
		"pageCount": (len(match) + limit - 1) / limit,
		"pageSize":  limit,
	})
}

// parseTimeFilter parses "<op>:<RFC 3339 time>" with op eq, lt, lte, gt, gte.
func parseTimeFilter(v string) (func(time.Time) bool, error) {
	op, ts, ok := strings.Cut(v, ":")
	if !ok {
		return nil, fmt.Errorf("invalid createdAt filter %q", v)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, fmt.Errorf("invalid createdAt date %q", ts)
	}
	switch op {
	case "eq":
		return func(x time.Time) bool { return x.Equal(t) }, nil
	case "lt":
		return func(x time.Time) bool { return x.Before(t) }, nil
	case "lte":
		return func(x time.Time) bool { return !x.After(t) }, nil
	case "gt":
		return func(x time.Time) bool { return x.After(t) }, nil
	case "gte":
		return func(x time.Time) bool { return !x.Before(t) }, nil
	}
	return nil, fmt.Errorf("invalid createdAt operator %q", op)
}

func (f *Fake) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("reference")
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.orders, func(o *order) bool { return o.ref == ref })
	if i < 0 {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Order %s not found", ref))
		return
	}
	writeJSON(w, http.StatusOK, f.wireOrder(f.orders[i], true))
}

// Age moves every order placed so far d into the past, as if that much time
// had passed since: tests use it to resume an order "minutes later" without
// waiting.
func (f *Fake) Age(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.orders {
		o.created = o.created.Add(-d)
	}
}

// Orders returns the transaction orders placed so far, oldest first
// (validate requests create none).
func (f *Fake) Orders() []esimgo.Order {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]esimgo.Order, 0, len(f.orders))
	for _, o := range f.orders {
		eo := esimgo.Order{
			Reference:      o.ref,
			Status:         "completed",
			StatusMessage:  o.statusMessage(),
			Total:          o.total,
			Currency:       f.opts.Currency,
			CreatedDate:    o.created,
			Assigned:       o.assigned,
			RunningBalance: o.runningBalance,
			SourceIP:       o.sourceIP,
		}
		for _, l := range o.lines {
			line := esimgo.OrderLine{Type: "bundle", Item: l.item, Quantity: l.qty, PricePerUnit: l.price,
				SubTotal: l.price.Mul(decimal.NewFromInt(int64(l.qty))), ICCIDs: slices.Clone(l.iccids), AllowReassign: l.allowReassign}
			for _, id := range l.iccids {
				e := f.esims[id]
				line.ESIMs = append(line.ESIMs, esimgo.Assignment{ICCID: e.iccid, MatchingID: e.matchingID,
					SMDPAddress: esimgo.NormalizeSMDP(e.smdp), Bundle: l.item, Reference: o.ref, ProfileStatus: e.profileStatus})
			}
			eo.Items = append(eo.Items, line)
		}
		out = append(out, eo)
	}
	return out
}
