package esimgotest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

var (
	gb = esimgo.Country{ISO: "GB", Name: "United Kingdom", Region: "Europe"}
	us = esimgo.Country{ISO: "US", Name: "United States", Region: "North America"}
	fr = esimgo.Country{ISO: "FR", Name: "France", Region: "Europe"}
	de = esimgo.Country{ISO: "DE", Name: "Germany", Region: "Europe"}
	es = esimgo.Country{ISO: "ES", Name: "Spain", Region: "Europe"}
	it = esimgo.Country{ISO: "IT", Name: "Italy", Region: "Europe"}
	tr = esimgo.Country{ISO: "TR", Name: "Turkey", Region: "Europe"}
	th = esimgo.Country{ISO: "TH", Name: "Thailand", Region: "Asia"}
	jp = esimgo.Country{ISO: "JP", Name: "Japan", Region: "Asia"}
	ae = esimgo.Country{ISO: "AE", Name: "United Arab Emirates", Region: "Middle East"}
	nl = esimgo.Country{ISO: "NL", Name: "Netherlands", Region: "Europe"}
	pt = esimgo.Country{ISO: "PT", Name: "Portugal", Region: "Europe"}
	ca = esimgo.Country{ISO: "CA", Name: "Canada", Region: "North America"}
	au = esimgo.Country{ISO: "AU", Name: "Australia", Region: "Oceania"}
)

// LiteArea names the area of esim_1GB_7D_RUKL_V2, which buyers see as
// the plan name "Europe & UK <Lite> · 1 GB · 7 days".
const LiteArea = "Europe & UK <Lite>"

// SeedCatalogue returns the bundles a new Fake sells: realistic names, prices
// and coverage across single countries, Europe+ and Global, including
// esim_1GB_7D_GB_V2 at 1.36 (the price in a captured real answer) and
// unlimited bundles. It is a fresh copy on every call.
//
// eSIM Go's texts are its own and reach buyers in chat messages and the
// Mini App, so one regional bundle, esim_1GB_7D_RUKL_V2, names its area
// LiteArea, with every character that HTML treats as markup: its countries'
// region (from which the store names the plan) and its description (from
// which the Mini App names the region).
func SeedCatalogue() []esimgo.Bundle {
	europe := []esimgo.Country{gb, fr, de, es, it, nl, pt, tr}
	global := []esimgo.Country{gb, us, fr, de, es, it, tr, th, jp, ae, ca, au}
	lite := []esimgo.Country{
		{ISO: "GB", Name: "United Kingdom", Region: LiteArea},
		{ISO: "IE", Name: "Ireland", Region: LiteArea},
	}
	return []esimgo.Bundle{
		fixed(1, 7, "1.36", "United Kingdom", "GB", gb),
		fixed(3, 30, "3.42", "United Kingdom", "GB", gb),
		fixed(10, 30, "6.90", "United Kingdom", "GB", gb),
		unlimited("ULE", "Essential", 7, "14.50", "United Kingdom", "GB", gb),
		fixed(1, 7, "1.80", "United States", "US", us),
		fixed(5, 30, "7.20", "United States", "US", us),
		unlimited("UL", "Lite", 3, "9.90", "United States", "US", us),
		fixed(1, 7, "1.42", "France", "FR", fr),
		fixed(1, 7, "1.42", "Germany", "DE", de),
		fixed(1, 7, "1.42", "Spain", "ES", es),
		fixed(1, 7, "1.42", "Italy", "IT", it),
		fixed(2, 15, "3.10", "Turkey", "TR", tr),
		fixed(3, 15, "3.75", "Thailand", "TH", th),
		fixed(1, 7, "2.25", "Japan", "JP", jp),
		fixed(5, 30, "11.40", "United Arab Emirates", "AE", ae),
		fixed(5, 30, "8.05", "Europe+", "REUP", europe...),
		unlimited("ULP", "Plus", 15, "32.00", "Europe+", "REUP", europe...),
		fixed(1, 7, "2.10", LiteArea, "RUKL", lite...),
		fixed(1, 7, "9.99", "Global", "RGBS", global...),
		fixed(10, 30, "45.00", "Global", "RGBS", global...),
	}
}

func fixed(gb, days int, price, area, code string, countries ...esimgo.Country) esimgo.Bundle {
	name := fmt.Sprintf("esim_%dGB_%dD_%s_V2", gb, days, code)
	return esimgo.Bundle{
		Name:         name,
		Description:  fmt.Sprintf("eSIM, %dGB, %d Days, %s, V2", gb, days, area),
		Groups:       []string{"Standard Fixed"},
		Countries:    countries,
		Region:       commonRegion(countries),
		DataMB:       int64(gb) * 1000,
		DurationDays: days,
		Autostart:    true,
		Speed:        []string{"3G", "4G", "5G"},
		Price:        decimal.RequireFromString(price),
		BillingType:  "FixedCost",
		Allowances: []esimgo.Allowance{{Type: "DATA", Service: "STANDARD",
			Description: strings.ToUpper(name) + " (data)", Amount: int64(gb) * 1000, Unit: "MB"}},
	}
}

func unlimited(family, tier string, days int, price, area, code string, countries ...esimgo.Country) esimgo.Bundle {
	name := fmt.Sprintf("esim_%s_%dD_%s_V2", family, days, code)
	return esimgo.Bundle{
		Name:         name,
		Description:  fmt.Sprintf("eSIM, Unlimited %s, %d Days, %s, V2", tier, days, area),
		Groups:       []string{"Standard Unlimited " + tier},
		Countries:    countries,
		Region:       commonRegion(countries),
		DurationDays: days,
		Unlimited:    true,
		Autostart:    true,
		Speed:        []string{"4G", "5G"},
		Price:        decimal.RequireFromString(price),
		BillingType:  "FixedCost",
		Allowances: []esimgo.Allowance{{Type: "DATA", Service: "STANDARD",
			Description: strings.ToUpper(name) + " (data)", Unit: "MB", Unlimited: true}},
	}
}

func commonRegion(cs []esimgo.Country) string {
	if len(cs) == 0 {
		return ""
	}
	for _, c := range cs[1:] {
		if c.Region != cs[0].Region {
			return ""
		}
	}
	return cs[0].Region
}

func toWireBundle(b esimgo.Bundle) wireBundle {
	w := wireBundle{
		Name:        b.Name,
		Description: b.Description,
		Groups:      b.Groups,
		DataAmount:  b.DataMB,
		Duration:    b.DurationDays,
		Speed:       b.Speed,
		Autostart:   b.Autostart,
		Unlimited:   b.Unlimited,
		ImageURL:    b.ImageURL,
		Price:       num(b.Price),
		BillingType: b.BillingType,
	}
	for _, c := range b.Countries {
		w.Countries = append(w.Countries, wireCountry{Name: c.Name, Region: c.Region, ISO: c.ISO})
	}
	for _, c := range b.RoamingEnabled {
		w.RoamingEnabled = append(w.RoamingEnabled, wireCountry{Name: c.Name, Region: c.Region, ISO: c.ISO})
	}
	if w.RoamingEnabled == nil {
		w.RoamingEnabled = []wireCountry{}
	}
	for _, a := range b.Allowances {
		w.Allowances = append(w.Allowances, wireAllowance(a))
	}
	return w
}

func (f *Fake) handleCatalogue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	all := slices.Clone(f.bundles)
	f.mu.Unlock()

	var match []wireBundle
	for _, b := range all {
		if catalogueMatch(b, q) {
			match = append(match, toWireBundle(b))
		}
	}
	page, perPage := intParam(q, "page", 1), intParam(q, "perPage", 0)
	if perPage <= 0 {
		perPage = max(len(match), 1)
	}
	if page < 1 {
		writeMessage(w, http.StatusBadRequest, "page must be 1 or more")
		return
	}
	start := min((page-1)*perPage, len(match))
	end := min(start+perPage, len(match))
	items := match[start:end]
	if items == nil {
		items = []wireBundle{}
	}
	if f.opts.BareCatalogue {
		writeJSON(w, http.StatusOK, items)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"bundles":   items,
		"pageCount": (len(match) + perPage - 1) / perPage,
		"rows":      len(match),
		"pageSize":  perPage,
	})
}

func catalogueMatch(b esimgo.Bundle, q map[string][]string) bool {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	if c := get("countries"); c != "" {
		found := false
		for _, iso := range strings.Split(c, ",") {
			if slices.ContainsFunc(b.Countries, func(x esimgo.Country) bool { return strings.EqualFold(x.ISO, strings.TrimSpace(iso)) }) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if reg := get("region"); reg != "" && !slices.ContainsFunc(b.Countries, func(x esimgo.Country) bool { return strings.EqualFold(x.Region, reg) }) {
		return false
	}
	if g := get("group"); g != "" && !slices.Contains(b.Groups, g) {
		return false
	}
	if d := get("description"); d != "" && !strings.Contains(strings.ToLower(b.Description), strings.ToLower(strings.Trim(d, "*%"))) {
		return false
	}
	return true
}

func intParam(q map[string][]string, k string, def int) int {
	if v := q[k]; len(v) > 0 {
		if n, err := strconv.Atoi(v[0]); err == nil {
			return n
		}
	}
	return def
}

func (f *Fake) bundle(name string) (esimgo.Bundle, bool) {
	i := slices.IndexFunc(f.bundles, func(b esimgo.Bundle) bool { return b.Name == name })
	if i < 0 {
		return esimgo.Bundle{}, false
	}
	return f.bundles[i], true
}

func (f *Fake) handleBundle(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	b, ok := f.bundle(name)
	f.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Bundle %s does not exist", name))
		return
	}
	wb := toWireBundle(b)
	// The single-bundle answer names the groups "group" (spec BundleCatalogueResponse).
	wb.Group, wb.Groups = wb.Groups, nil
	writeJSON(w, http.StatusOK, wb)
}

func (f *Fake) handleOrganisation(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	bal := f.balance
	f.mu.Unlock()
	// The real answer also echoes apiKey; the fake leaves it out so sandbox logs stay clean.
	writeJSON(w, http.StatusOK, map[string]any{
		"name":             "Stars eSIM Sandbox Ltd",
		"taxLiable":        "No",
		"country":          "GB",
		"callbackUrl":      "",
		"groups":           []string{"Standard eSIM Bundles"},
		"currency":         f.opts.Currency,
		"balance":          num(bal),
		"testCredit":       0,
		"testCreditExpiry": "",
		"users":            []any{},
	})
}
