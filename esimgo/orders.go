package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Order types for OrderRequest.Type.
const (
	OrderValidate    = "validate"    // price and check the order without charging
	OrderTransaction = "transaction" // charge the balance
)

// OrderItem is one line of an order request. Leave ICCIDs empty for new
// eSIMs; set them (with Assign) to top up existing eSIMs.
type OrderItem struct {
	Type          string // "bundle" (the default)
	Item          string // bundle name, case sensitive
	Quantity      int    // defaults to len(ICCIDs), or 1
	ICCIDs        []string
	AllowReassign bool // if the bundle does not fit the given eSIM, put it on a new one
}

// OrderRequest is the body of POST /orders.
type OrderRequest struct {
	Type      string // OrderValidate or OrderTransaction
	Assign    bool   // assign the bundles to eSIMs now (true for normal sales)
	Order     []OrderItem
	ProfileID string // optional branding profile (v2.5)
}

// OrderLine is one line of an order answer.
type OrderLine struct {
	Type          string
	Item          string
	Quantity      int
	SubTotal      decimal.Decimal
	PricePerUnit  decimal.Decimal
	ICCIDs        []string
	ESIMs         []Assignment // install details when eSIM Go included them
	AllowReassign bool
}

// Order is an eSIM Go order, or the answer to a validate request (which has no Reference).
type Order struct {
	Reference      string
	Status         string // "completed" is the only documented value
	StatusMessage  string
	Total          decimal.Decimal
	Currency       string
	CreatedDate    time.Time
	Items          []OrderLine
	Valid          bool // validate answers only
	Assigned       bool
	RunningBalance decimal.Decimal // balance after this order (v2.5); zero when absent
	SourceIP       string
}

// Assignments flattens the install details of every line, tagged with the
// bundle and order reference.
func (o Order) Assignments() []Assignment {
	var out []Assignment
	for _, l := range o.Items {
		for _, a := range l.ESIMs {
			if a.Bundle == "" {
				a.Bundle = l.Item
			}
			if a.Reference == "" {
				a.Reference = o.Reference
			}
			out = append(out, a)
		}
	}
	return out
}

// HasItem reports whether any line of o is for bundle.
func (o Order) HasItem(bundle string) bool {
	return slices.ContainsFunc(o.Items, func(l OrderLine) bool { return l.Item == bundle })
}

type wireOrderItem struct {
	Type          string   `json:"type"`
	Quantity      int      `json:"quantity"`
	Item          string   `json:"item"`
	ICCIDs        []string `json:"iccids,omitempty"`
	AllowReassign bool     `json:"allowReassign"`
}

type wireOrderRequest struct {
	Type      string          `json:"type"`
	Assign    bool            `json:"assign"`
	Order     []wireOrderItem `json:"order"`
	ProfileID string          `json:"profileID,omitempty"`
}

type wireOrderLine struct {
	Type          string           `json:"type"`
	Item          string           `json:"item"`
	Quantity      flexInt          `json:"quantity"`
	SubTotal      decimal.Decimal  `json:"subTotal"`
	PricePerUnit  decimal.Decimal  `json:"pricePerUnit"`
	ICCIDs        []flexString     `json:"iccids"`
	ESIMs         []wireAssignment `json:"esims"`
	AllowReassign bool             `json:"allowReassign"` // the spec spells it AllowReassign; encoding/json matches either
}

type wireOrder struct {
	Order          []wireOrderLine `json:"order"`
	Total          decimal.Decimal `json:"total"`
	Currency       string          `json:"currency"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	OrderReference string          `json:"orderReference"`
	CreatedDate    flexTime        `json:"createdDate"`
	CreateDate     flexTime        `json:"createDate"` // the spec's Order schema spells it so
	Valid          bool            `json:"valid"`
	Assigned       bool            `json:"assigned"`
	RunningBalance decimal.Decimal `json:"runningBalance"`
	SourceIP       string          `json:"sourceIP"`
}

func (w wireOrder) order() Order {
	o := Order{
		Reference:      w.OrderReference,
		Status:         w.Status,
		StatusMessage:  w.StatusMessage,
		Total:          w.Total,
		Currency:       w.Currency,
		CreatedDate:    time.Time(w.CreatedDate),
		Valid:          w.Valid,
		Assigned:       w.Assigned,
		RunningBalance: w.RunningBalance,
		SourceIP:       w.SourceIP,
	}
	if o.CreatedDate.IsZero() {
		o.CreatedDate = time.Time(w.CreateDate)
	}
	for _, l := range w.Order {
		line := OrderLine{
			Type:          l.Type,
			Item:          l.Item,
			Quantity:      int(l.Quantity),
			SubTotal:      l.SubTotal,
			PricePerUnit:  l.PricePerUnit,
			AllowReassign: l.AllowReassign,
		}
		for _, id := range l.ICCIDs {
			line.ICCIDs = append(line.ICCIDs, string(id))
		}
		for _, a := range l.ESIMs {
			as := a.assignment()
			if as.Bundle == "" {
				as.Bundle = l.Item
			}
			if as.Reference == "" {
				as.Reference = o.Reference
			}
			line.ESIMs = append(line.ESIMs, as)
		}
		o.Items = append(o.Items, line)
	}
	return o
}

// CreateOrder sends POST /orders. It is never retried automatically: eSIM Go
// has no idempotency key, so a transaction whose answer is lost (KindOutcomeUnknown)
// must be looked up with FindOrderSince before anything is re-sent.
func (c *Client) CreateOrder(ctx context.Context, req OrderRequest) (Order, error) {
	const op = opCreateOrder
	body, err := req.wire()
	if err != nil {
		return Order{}, &Error{Op: op, Kind: KindInvalid, Message: err.Error()}
	}
	cl := call{op: op, method: http.MethodPost, path: []string{"orders"}, body: body, charges: req.Type == OrderTransaction}
	r, err := c.do(ctx, cl)
	if err != nil {
		return Order{}, err
	}
	var w wireOrder
	if err := decode(cl, r, &w); err != nil {
		return Order{}, err
	}
	o := w.order()
	if cl.charges && o.Reference == "" {
		// A 2xx without a reference cannot be told apart from a lost answer.
		return o, &Error{Op: op, Kind: KindOutcomeUnknown, Status: r.status, Message: "answer has no orderReference"}
	}
	return o, nil
}

func (req OrderRequest) wire() (wireOrderRequest, error) {
	if req.Type != OrderValidate && req.Type != OrderTransaction {
		return wireOrderRequest{}, fmt.Errorf("order type must be %q or %q, not %q", OrderValidate, OrderTransaction, req.Type)
	}
	if len(req.Order) == 0 {
		return wireOrderRequest{}, fmt.Errorf("order has no items")
	}
	w := wireOrderRequest{Type: req.Type, Assign: req.Assign, ProfileID: req.ProfileID}
	for i, it := range req.Order {
		if it.Item == "" {
			return wireOrderRequest{}, fmt.Errorf("order item %d has no bundle name", i)
		}
		typ := it.Type
		if typ == "" {
			typ = "bundle"
		}
		q := it.Quantity
		if len(it.ICCIDs) > 0 {
			// eSIM Go rules (spec "Usage"): ICCIDs need assign:true and one ICCID per unit.
			if !req.Assign {
				return wireOrderRequest{}, fmt.Errorf("order item %d: ICCIDs require Assign", i)
			}
			if q == 0 {
				q = len(it.ICCIDs)
			}
			if q != len(it.ICCIDs) {
				return wireOrderRequest{}, fmt.Errorf("order item %d: quantity %d differs from %d ICCIDs", i, q, len(it.ICCIDs))
			}
		}
		if q == 0 {
			q = 1
		}
		if q < 0 {
			return wireOrderRequest{}, fmt.Errorf("order item %d: negative quantity", i)
		}
		w.Order = append(w.Order, wireOrderItem{Type: typ, Quantity: q, Item: it.Item, ICCIDs: it.ICCIDs, AllowReassign: it.AllowReassign})
	}
	return w, nil
}

// ListOrdersQuery filters GET /orders.
type ListOrdersQuery struct {
	CreatedSince  time.Time // createdAt=gte:…; zero means no lower bound
	CreatedBefore time.Time // createdAt=lte:…; zero means no upper bound
	IncludeICCIDs bool      // include ICCIDs and install details
	Page          int       // 0 = every page; n > 0 = that page only
	PerPage       int       // page size ("limit"); default 50
}

// createdAtLayout is the millisecond UTC form the docs use in their example.
const createdAtLayout = "2006-01-02T15:04:05.000Z"

// ListOrders lists transaction orders. With q.Page 0 it follows every page.
func (c *Client) ListOrders(ctx context.Context, q ListOrdersQuery) ([]Order, error) {
	perPage := q.PerPage
	if perPage <= 0 {
		perPage = 50
	}
	if q.Page > 0 {
		p, err := c.listOrdersPage(ctx, q, q.Page, perPage)
		return p.orders, err
	}
	return collectPages("orders", perPage, func(o Order) string { return o.Reference },
		func(page int) (listing[Order], error) {
			p, err := c.listOrdersPage(ctx, q, page, perPage)
			return listing[Order]{items: p.orders, counted: p.pageCount > 0, pageCount: p.pageCount}, err
		})
}

type ordersPage struct {
	orders    []Order
	pageCount int
}

func (c *Client) listOrdersPage(ctx context.Context, q ListOrdersQuery, page, perPage int) (ordersPage, error) {
	query := url.Values{}
	if !q.CreatedSince.IsZero() {
		query.Add("createdAt", "gte:"+q.CreatedSince.UTC().Format(createdAtLayout))
	}
	if !q.CreatedBefore.IsZero() {
		query.Add("createdAt", "lte:"+q.CreatedBefore.UTC().Format(createdAtLayout))
	}
	if q.IncludeICCIDs {
		query.Set("includeIccids", "true")
	}
	query.Set("page", strconv.Itoa(page))
	query.Set("limit", strconv.Itoa(perPage))
	cl := call{op: "list orders", method: http.MethodGet, path: []string{"orders"}, query: query}
	r, err := c.do(ctx, cl)
	if err != nil {
		return ordersPage{}, err
	}
	p, err := decodeOrders(r.body)
	if err != nil {
		return ordersPage{}, decodeErr(cl, r, err)
	}
	return p, nil
}

// decodeOrders accepts a bare array, {"orders":[…], "rows":…} (seen in
// community clients) or a single order object (the spec's schema); the real
// envelope is unconfirmed.
func decodeOrders(body []byte) (ordersPage, error) {
	body = bytes.TrimSpace(body)
	var list []wireOrder
	var pageCount int
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &list); err != nil {
			return ordersPage{}, err
		}
	} else {
		var obj struct {
			Orders    *[]wireOrder `json:"orders"`
			PageCount flexInt      `json:"pageCount"`
			wireOrder
		}
		if err := json.Unmarshal(body, &obj); err != nil {
			return ordersPage{}, err
		}
		switch {
		case obj.Orders != nil:
			list = *obj.Orders
			pageCount = int(obj.PageCount)
		case obj.OrderReference != "" || len(obj.Order) > 0:
			list = []wireOrder{obj.wireOrder}
		}
	}
	p := ordersPage{pageCount: pageCount}
	for _, w := range list {
		p.orders = append(p.orders, w.order())
	}
	return p, nil
}

// FindOrderSince returns the orders for bundle created at or after since,
// newest first, across all pages, with install details. It is how a caller
// resolves KindOutcomeUnknown without buying twice: pass the time the attempt
// started minus a margin for clock skew between this host and eSIM Go, then
// claim a result that is not already linked to another of your orders.
func (c *Client) FindOrderSince(ctx context.Context, since time.Time, bundle string) ([]Order, error) {
	all, err := c.ListOrders(ctx, ListOrdersQuery{CreatedSince: since, IncludeICCIDs: true})
	if err != nil {
		return nil, fmt.Errorf("find order since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	var out []Order
	for _, o := range all {
		// The server filters too; checking again protects against a server that ignores createdAt.
		if o.Reference == "" || !o.HasItem(bundle) || !o.CreatedDate.IsZero() && o.CreatedDate.Before(since) {
			continue
		}
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b Order) int { return b.CreatedDate.Compare(a.CreatedDate) })
	return out, nil
}

// GetOrder returns one order by its reference.
func (c *Client) GetOrder(ctx context.Context, reference string) (Order, error) {
	const op = "get order"
	if err := segment(op, "order reference", reference); err != nil {
		return Order{}, err
	}
	cl := call{op: op, method: http.MethodGet, path: []string{"orders", reference}, query: url.Values{"includeIccids": {"true"}}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return Order{}, err
	}
	p, err := decodeOrders(r.body)
	if err != nil {
		return Order{}, decodeErr(cl, r, err)
	}
	for _, o := range p.orders {
		if o.Reference == reference {
			return o, nil
		}
	}
	if len(p.orders) == 1 && p.orders[0].Reference == "" {
		o := p.orders[0]
		o.Reference = reference
		return o, nil
	}
	return Order{}, &Error{Op: op, Kind: KindNotFound, Status: r.status, Message: "order not in answer"}
}
