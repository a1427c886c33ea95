package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Country is a country a bundle covers.
type Country struct {
	ISO    string // ISO 3166-1 alpha-2, e.g. "GB"
	Name   string
	Region string // e.g. "Europe"
}

// Allowance is one DATA/VOICE/SMS allowance of a bundle.
type Allowance struct {
	Type        string // DATA, VOICE, SMS
	Service     string // STANDARD, ROAMING
	Description string
	Amount      int64
	Unit        string // MB, MINS, SMS
	Unlimited   bool
}

// Bundle is a catalogue entry. Name is the case-sensitive id used to order it.
type Bundle struct {
	Name        string
	Description string
	Groups      []string
	Countries   []Country
	// Region is the region shared by all Countries; empty when they span several.
	Region         string
	RoamingEnabled []Country
	DataMB         int64 // 1000 = 1 GB; 0 for unlimited bundles
	DurationDays   int
	Unlimited      bool
	Autostart      bool
	Speed          []string
	Price          decimal.Decimal // wholesale, in the organisation currency; exact
	BillingType    string
	ImageURL       string
	ProfileName    string
	Allowances     []Allowance
}

// CountryISOs returns the ISO codes of b.Countries.
func (b Bundle) CountryISOs() []string {
	out := make([]string, 0, len(b.Countries))
	for _, c := range b.Countries {
		out = append(out, c.ISO)
	}
	return out
}

type wireCountry struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

func (w wireCountry) country() Country { return Country{ISO: w.ISO, Name: w.Name, Region: w.Region} }

type wireAllowance struct {
	Type        string  `json:"type"`
	Service     string  `json:"service"`
	Description string  `json:"description"`
	Amount      flexInt `json:"amount"`
	Unit        string  `json:"unit"`
	Unlimited   bool    `json:"unlimited"`
}

type wireBundle struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Groups         flexStrings     `json:"groups"`
	Group          flexStrings     `json:"group"` // the single-bundle answer names it "group"
	Countries      []wireCountry   `json:"countries"`
	RoamingEnabled flexCountries   `json:"roamingEnabled"`
	DataAmount     flexInt         `json:"dataAmount"`
	Duration       flexInt         `json:"duration"`
	Speed          flexStrings     `json:"speed"`
	Autostart      bool            `json:"autostart"`
	Unlimited      bool            `json:"unlimited"`
	ImageURL       string          `json:"imageUrl"`
	Price          decimal.Decimal `json:"price"` // decoded from the number's text, so 1.36 stays 1.36
	BillingType    string          `json:"billingType"`
	ProfileName    string          `json:"profileName"`
	Allowances     []wireAllowance `json:"allowances"`
}

func (w wireBundle) bundle() Bundle {
	b := Bundle{
		Name:         w.Name,
		Description:  w.Description,
		Groups:       append([]string(nil), w.Groups...),
		DataMB:       int64(w.DataAmount),
		DurationDays: int(w.Duration),
		Unlimited:    w.Unlimited,
		Autostart:    w.Autostart,
		Speed:        append([]string(nil), w.Speed...),
		Price:        w.Price,
		BillingType:  w.BillingType,
		ImageURL:     w.ImageURL,
		ProfileName:  w.ProfileName,
	}
	if len(b.Groups) == 0 {
		b.Groups = append([]string(nil), w.Group...)
	}
	for _, c := range w.Countries {
		b.Countries = append(b.Countries, c.country())
	}
	for _, c := range w.RoamingEnabled {
		b.RoamingEnabled = append(b.RoamingEnabled, c.country())
	}
	for _, a := range w.Allowances {
		b.Allowances = append(b.Allowances, Allowance{a.Type, a.Service, a.Description, int64(a.Amount), a.Unit, a.Unlimited})
		// dataAmount and unlimited are deprecated in some v2.5 schemas in favour of allowances.
		if strings.EqualFold(a.Type, "DATA") {
			if a.Unlimited {
				b.Unlimited = true
			}
			if b.DataMB == 0 && strings.EqualFold(a.Unit, "MB") {
				b.DataMB = int64(a.Amount)
			}
		}
	}
	if b.Unlimited {
		// Unlimited bundles carry placeholder amounts (e.g. -1); never show those as MB.
		if b.DataMB < 0 {
			b.DataMB = 0
		}
	}
	for i, c := range b.Countries {
		if i == 0 {
			b.Region = c.Region
		} else if c.Region != b.Region {
			b.Region = ""
			break
		}
	}
	return b
}

// CatalogueQuery filters the catalogue server-side. The zero value lists everything.
type CatalogueQuery struct {
	Countries   []string // ISO2; bundles whose base country is any of these
	Region      string
	Group       string
	Description string // wildcard search
	PerPage     int    // page size used while paging; default 200
}

// Catalogue returns every bundle, following all pages. eSIM Go asks resellers
// to store the result rather than poll it per customer request.
func (c *Client) Catalogue(ctx context.Context) ([]Bundle, error) {
	return c.CatalogueQuery(ctx, CatalogueQuery{})
}

// CatalogueQuery returns every bundle matching q, following all pages.
func (c *Client) CatalogueQuery(ctx context.Context, q CatalogueQuery) ([]Bundle, error) {
	perPage := q.PerPage
	if perPage <= 0 {
		perPage = 200
	}
	base := url.Values{}
	if len(q.Countries) > 0 {
		base.Set("countries", strings.Join(q.Countries, ","))
	}
	for k, v := range map[string]string{"region": q.Region, "group": q.Group, "description": q.Description} {
		if v != "" {
			base.Set(k, v)
		}
	}
	wires, err := collectPages("catalogue", perPage, func(w wireBundle) string { return w.Name },
		func(page int) (listing[wireBundle], error) {
			query := url.Values{}
			for k, v := range base {
				query[k] = v
			}
			query.Set("page", strconv.Itoa(page))
			query.Set("perPage", strconv.Itoa(perPage))
			cl := call{op: opCatalogue, method: http.MethodGet, path: []string{"catalogue"}, query: query}
			r, err := c.do(ctx, cl)
			if err != nil {
				return listing[wireBundle]{}, err
			}
			p, err := decodeCataloguePage(r.body)
			if err != nil {
				return listing[wireBundle]{}, decodeErr(cl, r, err)
			}
			return listing[wireBundle]{items: p.bundles, counted: p.paged, pageCount: p.pageCount}, nil
		})
	if err != nil {
		return nil, err
	}
	all := make([]Bundle, 0, len(wires))
	for _, w := range wires {
		all = append(all, w.bundle())
	}
	return all, nil
}

type cataloguePage struct {
	bundles   []wireBundle
	paged     bool // the {bundles, pageCount, rows, pageSize} form
	pageCount int
}

// decodeCataloguePage accepts the documented bare array and the object that
// real v2.5 answers use.
func decodeCataloguePage(body []byte) (cataloguePage, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var list []wireBundle
		err := json.Unmarshal(body, &list)
		return cataloguePage{bundles: list}, err
	}
	var obj struct {
		Bundles   []wireBundle `json:"bundles"`
		PageCount flexInt      `json:"pageCount"`
		Rows      flexInt      `json:"rows"`
		PageSize  flexInt      `json:"pageSize"`
	}
	if err := json.Unmarshal(body, &obj); err != nil {
		return cataloguePage{}, err
	}
	return cataloguePage{bundles: obj.Bundles, paged: true, pageCount: int(obj.PageCount)}, nil
}

// Bundle returns one catalogue entry by its case-sensitive name.
func (c *Client) Bundle(ctx context.Context, name string) (Bundle, error) {
	const op = "get bundle"
	if err := segment(op, "bundle name", name); err != nil {
		return Bundle{}, err
	}
	cl := call{op: op, method: http.MethodGet, path: []string{"catalogue", "bundle", name}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return Bundle{}, err
	}
	var w wireBundle
	if err := decode(cl, r, &w); err != nil {
		return Bundle{}, err
	}
	if w.Name == "" {
		return Bundle{}, &Error{Op: op, Kind: KindNotFound, Status: r.status, Message: "empty bundle in answer"}
	}
	return w.bundle(), nil
}

func decodeErr(cl call, r *response, err error) error {
	kind := KindServer
	if cl.charges {
		kind = KindOutcomeUnknown
	}
	return &Error{Op: cl.op, Kind: kind, Status: r.status, Err: fmt.Errorf("decode response: %w", err)}
}
