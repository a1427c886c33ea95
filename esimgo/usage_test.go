package esimgo_test

import (
	"context"
	"encoding/base64"
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

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

func TestInstallState(t *testing.T) {
	t.Parallel()
	once := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		status string
		first  time.Time
		want   string
	}{
		{"Released", time.Time{}, esimgo.InstallNotInstalled},
		{"Released", once, esimgo.InstallRemoved},
		{"Downloaded", time.Time{}, esimgo.InstallInstalled},
		{"Installed", once, esimgo.InstallInstalled},
		{"INSTALLED", once, esimgo.InstallInstalled},
		{"Unavailable", time.Time{}, esimgo.InstallRemoved},
		{"Deactivated", once, esimgo.InstallRemoved},
		{"", time.Time{}, esimgo.InstallNotInstalled},
	} {
		assert.Equal(t, tc.want, esimgo.InstallState(tc.status, tc.first), "%s first=%v", tc.status, tc.first)
	}
}

func TestBundleFamily(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"esim_1GB_7D_GB_V2":      "esim_GB_V2",
		"esim_10GB_30D_GB_V2":    "esim_GB_V2",
		"esim_ULE_7D_GB_V2":      "esim_ULE_GB_V2",
		"esim_500MB_1D_IM_U":     "esim_IM_U",
		"A_BUNDLE_20GB_30D_EU_U": "A_BUNDLE_EU_U",
		"plain":                  "plain",
	} {
		assert.Equal(t, want, esimgo.BundleFamily(name), name)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"iccid":"8944538532008160222","alertType":"Utilisation"}`)
	b64 := esimgo.Sign(testKey, body)
	hexSig := esimgo.SignHex(testKey, body)
	raw, _ := base64.StdEncoding.DecodeString(b64)
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		want   bool
	}{
		{"base64", b64, body, true},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(raw), body, true},
		{"hex", hexSig, body, true},
		{"hex upper case", strings.ToUpper(hexSig), body, true},
		{"surrounding spaces", " " + b64 + " ", body, true},
		{"empty", "", body, false},
		{"other key", esimgo.Sign("other", body), body, false},
		{"body changed by a byte", b64, append([]byte(`{"iccid":"8944538532008160223"`), body[29:]...), false},
		{"reformatted body", b64, []byte(`{"iccid": "8944538532008160222", "alertType": "Utilisation"}`), false},
		{"truncated", b64[:20], body, false},
		{"garbage", "not a signature", body, false},
	} {
		assert.Equal(t, tc.want, esimgo.VerifySignature(testKey, tc.body, tc.header), tc.name)
	}
	assert.False(t, esimgo.VerifySignature("", body, esimgo.Sign("", body)), "no key configured")
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	// eSIM Go's documented examples, verbatim in shape.
	util, err := esimgo.ParseCallback([]byte(`{"iccid":"8944538532008160222","alertType":"Utilisation","bundle":{"id":"123456789",
		"name":"A_BUNDLE_20GB_30D_EU_U","description":"A Bundle, 20GB, 30 Days, EU, Unthrottled","initialQuantity":20000000000,
		"remainingQuantity":19000000000,"startTime":"2006-01-02T15:04:05Z","endTime":"2007-01-02T15:04:05Z",
		"reference":"12345-12345-12345-12345-0","unlimited":false}}`))
	require.NoError(t, err)
	assert.Equal(t, esimgo.AlertUtilisation, util.Type)
	assert.Equal(t, "8944538532008160222", util.ICCID)
	require.NotNil(t, util.Bundle)
	assert.Equal(t, int64(20_000_000_000), util.Bundle.Initial)
	assert.Equal(t, int64(19_000_000_000), util.Bundle.Remaining)
	assert.Equal(t, "12345-12345-12345-12345-0", util.Bundle.Key())
	assert.Equal(t, time.Date(2007, 1, 2, 15, 4, 5, 0, time.UTC), util.Bundle.EndTime)

	// FirstUse's example sends the ICCID as a bare number: every digit kept.
	first, err := esimgo.ParseCallback([]byte(`{"alertType":"FirstUse","iccid":8944538532008160222,"bundle":{"name":"A_BUNDLE_1GB",
		"initialQuantity":1000000000,"remainingQuantity":1000000000,"startTime":"2006-01-02T15:04:05Z","endTime":"2007-01-02T15:04:05Z"}}`))
	require.NoError(t, err)
	assert.Equal(t, "8944538532008160222", first.ICCID)
	assert.Empty(t, first.Bundle.Key(), "no id or reference: the receiver matches by name")

	// V2 sent quantities as floats.
	v2, err := esimgo.ParseCallback([]byte(`{"iccid":"1","alertType":"Utilisation","bundle":{"name":"B","initialQuantity":1000.00,"remainingQuantity":90.00}}`))
	require.NoError(t, err)
	assert.Equal(t, int64(90), v2.Bundle.Remaining)

	status, err := esimgo.ParseCallback([]byte(`{"alertType":"ProfileStatusChange","iccid":"8944538532008160222","profileStatus":"Installed",
		"timestamp":"2026-11-02T14:05:18Z","device":{"imei":"350089571234565","eid":"89049032021008881300304741158317","tac":"35008957"}}`))
	require.NoError(t, err)
	assert.Equal(t, "Installed", status.ProfileStatus)
	assert.Equal(t, time.Date(2026, 11, 2, 14, 5, 18, 0, time.UTC), status.ChangedAt)
	assert.Equal(t, "35008957", status.Device.TAC)

	bal, err := esimgo.ParseCallback([]byte(`{"alertType":"LowBalance","balanceInfo":{"balance":1299.3,"threshold":2600,"thresholdPercentRemaining":49.973}}`))
	require.NoError(t, err)
	require.NotNil(t, bal.Balance)
	assert.Equal(t, "1299.3", bal.Balance.Balance.String(), "decimal, not float")
	assert.Empty(t, bal.ICCID)

	del, err := esimgo.ParseCallback([]byte(`{"date":"2026-06-29T13:20:02Z","event":"esim.deleted","iccid":"8943108161000670038"}`))
	require.NoError(t, err)
	assert.Equal(t, esimgo.EventESIMDeleted, del.Type)

	for _, bad := range []string{``, `[]`, `null`, `{"iccid":`, `"x"`} {
		_, err := esimgo.ParseCallback([]byte(bad))
		assert.ErrorIs(t, err, esimgo.ErrNotCallback, bad)
	}
}

func TestParseCallbackKeepsLongNumericICCID(t *testing.T) {
	t.Parallel()
	// 20 digits do not fit an int64, let alone a float64.
	c, err := esimgo.ParseCallback([]byte(`{"alertType":"FirstUse","iccid":89445385320081602229}`))
	require.NoError(t, err)
	assert.Equal(t, "89445385320081602229", c.ICCID)
}

// receiver collects the fake's callbacks.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.sigs = append(r.sigs, req.Header.Get(esimgo.SignatureHeader))
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) parsed(t *testing.T) []esimgo.Callback {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []esimgo.Callback
	for i, b := range r.bodies {
		require.True(t, esimgo.VerifySignature(testKey, b, r.sigs[i]), "signed: %s", b)
		c, err := esimgo.ParseCallback(b)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

func TestUsageLifecycleWithCallbacks(t *testing.T) {
	t.Parallel()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	fake, c := setup(t, esimgotest.Options{CallbackURL: srv.URL})
	ctx := context.Background()

	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	iccid := o.Assignments()[0].ICCID
	e, err := c.ESIM(ctx, iccid)
	require.NoError(t, err)
	assert.Equal(t, esimgo.InstallNotInstalled, esimgo.InstallState(e.ProfileStatus, e.FirstInstalledAt))

	bundles, err := c.Bundles(ctx, iccid)
	require.NoError(t, err)
	require.Len(t, bundles, 1)
	assert.Equal(t, esimgo.BundleQueued, bundles[0].State)
	assert.Equal(t, int64(1_000_000_000), bundles[0].Initial)
	assert.Equal(t, o.Reference+"-0", bundles[0].Reference)
	assert.True(t, bundles[0].StartTime.IsZero(), "not started before first use")

	require.NoError(t, fake.Install(iccid))
	e, err = c.ESIM(ctx, iccid)
	require.NoError(t, err)
	assert.Equal(t, esimgo.InstallInstalled, esimgo.InstallState(e.ProfileStatus, e.FirstInstalledAt))
	assert.False(t, e.FirstInstalledAt.IsZero())

	left, err := fake.UseData(iccid, 85)
	require.NoError(t, err)
	assert.Equal(t, int64(150_000_000), left)
	got := rcv.parsed(t)
	var types []string
	for _, cb := range got {
		types = append(types, cb.Type)
		assert.Equal(t, iccid, cb.ICCID)
	}
	assert.Equal(t, []string{"ProfileStatusChange", "FirstUse", "Utilisation", "Utilisation"}, types, "50 and 80 %% crossed")
	last := got[len(got)-1].Bundle
	assert.Equal(t, bundles[0].ID, last.ID)
	assert.Equal(t, bundles[0].Reference, last.Reference)
	assert.Equal(t, int64(150_000_000), last.Remaining)
	assert.False(t, last.EndTime.IsZero())

	_, err = fake.UseData(iccid, 50)
	require.NoError(t, err)
	bundles, err = c.Bundles(ctx, iccid)
	require.NoError(t, err)
	assert.Equal(t, esimgo.BundleDepleted, bundles[0].State)
	assert.Zero(t, bundles[0].Remaining)
	assert.Len(t, rcv.parsed(t), 5, "100 %% sent once")

	// A top-up queues behind; expiry ends the depleted one and lapses the new.
	_, err = c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: "esim_3GB_30D_GB_V2", ICCIDs: []string{iccid}}}})
	require.NoError(t, err)
	require.NoError(t, fake.Expire(iccid))
	bundles, err = c.Bundles(ctx, iccid)
	require.NoError(t, err)
	require.Len(t, bundles, 2)
	states := map[string]string{}
	for _, b := range bundles {
		states[b.Name] = b.State
	}
	assert.Equal(t, map[string]string{"esim_1GB_7D_GB_V2": "expired", "esim_3GB_30D_GB_V2": "lapsed"}, states)

	require.NoError(t, fake.Uninstall(iccid))
	e, err = c.ESIM(ctx, iccid)
	require.NoError(t, err)
	assert.Equal(t, esimgo.InstallRemoved, esimgo.InstallState(e.ProfileStatus, e.FirstInstalledAt))
}

func TestCallbackFaults(t *testing.T) {
	t.Parallel()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	fake, c := setup(t, esimgotest.Options{CallbackURL: srv.URL})
	ctx := context.Background()
	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	iccid := o.Assignments()[0].ICCID

	fake.SetCallbackFaults(esimgotest.CallbackFaults{Duplicate: true, HexSignature: true})
	require.NoError(t, fake.Install(iccid))
	require.Len(t, rcv.parsed(t), 2, "delivered twice, hex signatures verify")
	assert.Equal(t, rcv.bodies[0], rcv.bodies[1])
	assert.Len(t, rcv.sigs[0], 64)

	fake.SetCallbackFaults(esimgotest.CallbackFaults{OutOfOrder: true})
	_, err = fake.UseData(iccid, 90) // FirstUse, 50 %, 80 %
	require.NoError(t, err)
	got := rcv.parsed(t)[2:]
	require.Len(t, got, 2, "the last one is held back")
	assert.Equal(t, "Utilisation", got[0].Type)
	assert.Equal(t, "FirstUse", got[1].Type, "FirstUse arrives after the 50 %% alert")
	require.NoError(t, fake.FlushCallbacks())
	assert.Len(t, rcv.parsed(t), 5)

	fake.SetCallbackFaults(esimgotest.CallbackFaults{BadSignature: true})
	require.NoError(t, fake.SendBalanceAlert(esimgo.AlertLowBalance, decimal.NewFromInt(100)))
	rcv.mu.Lock()
	body, sig := rcv.bodies[len(rcv.bodies)-1], rcv.sigs[len(rcv.sigs)-1]
	rcv.mu.Unlock()
	assert.False(t, esimgo.VerifySignature(testKey, body, sig))
	cb, err := esimgo.ParseCallback(body)
	require.NoError(t, err)
	assert.Equal(t, "998.64", cb.Balance.Balance.String(), "the balance after the order")
	assert.Len(t, fake.Callbacks(), 6)
}

func TestReassignedTopUp(t *testing.T) {
	t.Parallel()
	fake, c := setup(t, esimgotest.Options{})
	ctx := context.Background()
	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	iccid := o.Assignments()[0].ICCID
	fake.ReassignTopUps(iccid, true)
	top, err := c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: "esim_1GB_7D_GB_V2", ICCIDs: []string{iccid}, AllowReassign: false}}})
	require.NoError(t, err)
	as := top.Assignments()
	require.Len(t, as, 1)
	assert.NotEqual(t, iccid, as[0].ICCID, "landed on a new eSIM")
	assert.Equal(t, []string{as[0].ICCID}, top.Items[0].ICCIDs)
	assert.Len(t, fake.ESIMs(), 2)
}
