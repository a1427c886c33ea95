package esimgotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

func do(t *testing.T, h http.Handler, method, target, key, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const key = "k"

func TestRoutingPrefixesAndAuth(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key})
	for _, p := range []string{"/organisation", "/v2.5/organisation", "/v2.4/organisation"} {
		rec := do(t, f, "GET", p, key, "")
		assert.Equal(t, 200, rec.Code, p)
	}
	rec := do(t, f, "GET", "/v2.5/organisation", "wrong", "")
	assert.Equal(t, 401, rec.Code)
	assert.JSONEq(t, `{"message":"Unauthorized: invalid or missing API key"}`, rec.Body.String())
	assert.Equal(t, 404, do(t, f, "GET", "/v2.5/nope", key, "").Code)

	reqs := f.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, esimgotest.EndpointOrganisation, reqs[1].Endpoint)
	assert.Equal(t, "REDACTED", reqs[0].Header.Get("X-API-Key"))

	f403 := esimgotest.New(esimgotest.Options{APIKey: key, AuthFailureStatus: 403})
	assert.Equal(t, 403, do(t, f403, "GET", "/organisation", "", "").Code)
}

func TestCatalogueWireFormat(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key})
	rec := do(t, f, "GET", "/v2.5/catalogue?page=1&perPage=5", key, "")
	require.Equal(t, 200, rec.Code)
	var page struct {
		Bundles   []map[string]json.RawMessage `json:"bundles"`
		PageCount int                          `json:"pageCount"`
		Rows      int                          `json:"rows"`
		PageSize  int                          `json:"pageSize"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	assert.Len(t, page.Bundles, 5)
	assert.Equal(t, len(f.Catalogue()), page.Rows)
	assert.Equal(t, (page.Rows+4)/5, page.PageCount)
	assert.Equal(t, "1.36", string(page.Bundles[0]["price"]), "price is a JSON number")
	assert.Equal(t, `"esim_1GB_7D_GB_V2"`, string(page.Bundles[0]["name"]))

	bare := esimgotest.New(esimgotest.Options{APIKey: key, BareCatalogue: true})
	rec = do(t, bare, "GET", "/catalogue", key, "")
	assert.True(t, strings.HasPrefix(rec.Body.String(), "["))

	countries := map[string]bool{}
	for _, b := range f.Catalogue() {
		for _, c := range b.Countries {
			countries[c.ISO] = true
		}
	}
	for _, iso := range []string{"GB", "US", "FR", "DE", "ES", "IT", "TR", "TH", "JP", "AE"} {
		assert.True(t, countries[iso], iso)
	}
}

func TestOrderAssignmentsCSVAndFaultTimes(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key})
	rec := do(t, f, "POST", "/v2.5/orders", key, `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_GB_V2"}]}`)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var o struct {
		OrderReference string `json:"orderReference"`
		Order          []struct {
			ESIMs []struct{ ICCID, MatchingID, SMDPAddress string } `json:"esims"`
		} `json:"order"`
		Total json.RawMessage `json:"total"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &o))
	assert.Equal(t, "1.36", string(o.Total))
	assert.Equal(t, "998.64", f.Balance().String())

	csv := do(t, f, "GET", "/esims/assignments?reference="+o.OrderReference, key, "")
	assert.Equal(t, "text/csv", csv.Header().Get("Content-Type"), "CSV without Accept: application/json")
	assert.Contains(t, csv.Body.String(), `ICCID,Matching ID,RSP URL,Bundle,Reference`)

	f.SetProcessing(2, 1500*time.Millisecond)
	for range 2 {
		r := do(t, f, "GET", "/esims/assignments?reference="+o.OrderReference, key, "", "Accept", "application/json")
		assert.Equal(t, 503, r.Code)
		assert.Equal(t, "2", r.Header().Get("Retry-After"))
	}
	assert.Empty(t, f.Faults(), "a Times fault clears itself")
	r := do(t, f, "GET", "/esims/assignments?reference="+o.OrderReference, key, "", "Accept", "application/json")
	assert.Equal(t, 200, r.Code)
	assert.Contains(t, r.Body.String(), `"smdpAddress":"rsp-3104.idemia.io"`)

	f.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Status: 500})
	assert.Equal(t, 500, do(t, f, "GET", "/organisation", key, "").Code)
	f.ClearFaults()
	assert.Equal(t, 200, do(t, f, "GET", "/organisation", key, "").Code)
}

func TestCommitThenDelayCommitsEvenIfClientLeaves(t *testing.T) {
	f, srv := esimgotest.NewServer(t, esimgotest.Options{APIKey: key})
	f.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDelay: 5 * time.Second})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	req, _ := http.NewRequest("POST", esimgotest.BaseURL(srv)+"/orders", strings.NewReader(`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_US_V2"}]}`))
	req.Header.Set("X-API-Key", key)
	_, err := client.Do(req)
	require.Error(t, err)
	require.Len(t, f.Orders(), 1)
	assert.Equal(t, "998.2", f.Balance().String())
}

func TestConcurrentOrdersKeepBalanceConsistent(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key, Balance: decimal.RequireFromString("10")})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			do(t, f, "POST", "/orders", key, `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_GB_V2"}]}`)
		})
	}
	wg.Wait()
	// 10 / 1.36 = 7 orders fit.
	assert.Len(t, f.Orders(), 7)
	assert.Equal(t, "0.48", f.Balance().String())
	assert.Len(t, f.ESIMs(), 7)
}

// The account's budget is tokens per fixed second: a request that does not
// fit is answered 429 and spends nothing, and every answer says where the
// window stands.
func TestRateLimitIsTokensPerFixedSecond(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key, RateLimit: 10})
	// Start just after a window opens, so the requests below share one.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	for i, tc := range []struct {
		target    string
		status    int
		remaining string
		cost      string
	}{
		{"/v2.5/catalogue", 200, "5", "5"},
		{"/v2.5/organisation", 200, "4", "1"},
		{"/v2.5/catalogue", 429, "4", "5"}, // 5 tokens do not fit in the 4 left
		{"/v2.5/organisation", 200, "3", "1"},
		{"/v2.5/organisation", 200, "2", "1"},
		{"/v2.5/organisation", 200, "1", "1"},
		{"/v2.5/organisation", 200, "0", "1"},
		{"/v2.5/organisation", 429, "0", "1"},
	} {
		rec := do(t, f, "GET", tc.target, key, "")
		h := rec.Header()
		assert.Equal(t, tc.status, rec.Code, "request %d", i)
		assert.Equal(t, "10", h.Get("X-Ratelimit-Limit"), "request %d", i)
		assert.Equal(t, tc.remaining, h.Get("X-Ratelimit-Remaining"), "request %d", i)
		assert.Equal(t, tc.cost, h.Get("X-Ratelimit-Cost"), "request %d", i)
		reset, err := time.Parse(time.RFC3339, h.Get("X-Ratelimit-Reset"))
		require.NoError(t, err, "request %d", i)
		assert.Zero(t, reset.Nanosecond(), "the window ends on a whole second")
		if tc.status == 429 {
			assert.JSONEq(t, `{"message":"Rate limit exceeded"}`, rec.Body.String())
			assert.Equal(t, "1", h.Get("Retry-After"))
		} else {
			assert.Empty(t, h.Get("Retry-After"))
		}
	}
	var limited int
	for _, r := range f.Requests() {
		if r.Limited {
			limited++
		}
	}
	assert.Equal(t, 2, limited)

	// Without a limit there are no rate headers at all.
	plain := esimgotest.New(esimgotest.Options{APIKey: key})
	assert.Empty(t, do(t, plain, "GET", "/organisation", key, "").Header().Get("X-Ratelimit-Limit"))
}

// A fault for one bundle leaves orders of every other bundle alone.
func TestFaultForOneBundle(t *testing.T) {
	f := esimgotest.New(esimgotest.Options{APIKey: key})
	f.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle esim_1GB_7D_FR_V2 is not available", Bundle: "esim_1GB_7D_FR_V2"})
	order := func(bundle string) string {
		return `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"` + bundle + `"}]}`
	}
	assert.Equal(t, 200, do(t, f, "POST", "/v2.5/orders", key, order("esim_1GB_7D_GB_V2")).Code)
	rec := do(t, f, "POST", "/v2.5/orders", key, order("esim_1GB_7D_FR_V2"))
	assert.Equal(t, 400, rec.Code)
	assert.JSONEq(t, `{"message":"Bundle esim_1GB_7D_FR_V2 is not available"}`, rec.Body.String())
	assert.Len(t, f.Orders(), 1)
}
