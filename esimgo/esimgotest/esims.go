package esimgotest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

type esim struct {
	iccid, matchingID, smdp string
	pin, puk                string
	profileStatus, state    string
	customerRef             string
	created                 time.Time
	firstInstalled          time.Time
	assignments             []*bundleAssignment
}

// bundleAssignment is one bundle applied to an eSIM, with its usage.
type bundleAssignment struct {
	id, bundle, reference string // reference: the order's, plus "-<unit>"
	order                 string // the order (or apply) reference
	description           string
	price                 decimal.Decimal
	state                 string // queued, active, depleted, expired, lapsed, revoked
	at                    time.Time
	initial, remaining    int64 // bytes; eSIM Go counts 1 GB as 10^9
	unlimited             bool
	days                  int
	start, end            time.Time // set at first use
}

// newESIM creates an eSIM with a fresh ICCID and activation code. Callers hold f.mu.
func (f *Fake) newESIM(now time.Time) *esim {
	iccid := strconv.FormatInt(f.nextICC, 10)
	f.nextICC++
	e := &esim{
		iccid:         iccid,
		matchingID:    matchingID(),
		smdp:          f.opts.SMDPAddress,
		pin:           fmt.Sprintf("%04d", rand.IntN(10000)),
		puk:           fmt.Sprintf("%08d", rand.IntN(100000000)),
		profileStatus: "Released",
		state:         "active",
		created:       now,
	}
	f.esims[iccid] = e
	f.esimSeq = append(f.esimSeq, iccid)
	return e
}

// matchingID looks like eSIM Go's activation codes (XXXXX-XXXXX-XXXXX-XXXXX).
func matchingID() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for i := range 23 {
		if i%6 == 5 {
			b.WriteByte('-')
			continue
		}
		b.WriteByte(alphabet[rand.IntN(len(alphabet))])
	}
	return b.String()
}

func (f *Fake) handleAssignments(w http.ResponseWriter, r *http.Request) {
	var refs []string
	for _, v := range r.URL.Query()["reference"] {
		for _, ref := range strings.Split(v, ",") {
			if ref = strings.TrimSpace(ref); ref != "" {
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		writeMessage(w, http.StatusBadRequest, "reference is required")
		return
	}
	type row struct {
		e         *esim
		bundle    string
		reference string
	}
	f.mu.Lock()
	var rows []row
	for _, ref := range refs {
		for _, id := range f.esimSeq {
			e := f.esims[id]
			for _, a := range e.assignments {
				if a.order == ref {
					rows = append(rows, row{e, a.bundle, ref})
				}
			}
		}
	}
	f.mu.Unlock()
	if len(rows) == 0 {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("No eSIMs found for reference %s", strings.Join(refs, ",")))
		return
	}

	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		// eSIM Go's default answer is CSV.
		w.Header().Set("Content-Type", "text/csv")
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"ICCID", "Matching ID", "RSP URL", "Bundle", "Reference"})
		for _, x := range rows {
			_ = cw.Write([]string{x.e.iccid, x.e.matchingID, x.e.smdp, x.bundle, x.reference})
		}
		cw.Flush()
		return
	}
	list := make([]map[string]any, 0, len(rows))
	for _, x := range rows {
		m := map[string]any{
			"iccid":         x.e.iccid,
			"matchingId":    x.e.matchingID,
			"smdpAddress":   x.e.smdp,
			"profileStatus": x.e.profileStatus,
			"pin":           x.e.pin,
			"puk":           x.e.puk,
			// Not in the JSON example; mirrors the Bundle/Reference CSV columns.
			"bundle":    x.bundle,
			"reference": x.reference,
		}
		list = append(list, m)
	}
	// A single eSIM comes back as a bare object, as in eSIM Go's example.
	if len(list) == 1 {
		writeJSON(w, http.StatusOK, list[0])
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *Fake) handleESIM(w http.ResponseWriter, r *http.Request) {
	iccid := r.PathValue("iccid")
	f.mu.Lock()
	e := f.esims[iccid]
	var m map[string]any
	if e != nil {
		m = map[string]any{
			"iccid":         e.iccid,
			"pin":           e.pin,
			"puk":           e.puk,
			"matchingId":    e.matchingID,
			"smdpAddress":   e.smdp,
			"profileStatus": e.profileStatus,
			"customerRef":   e.customerRef,
			"state":         e.state,
			"msisdn":        "",
		}
		if !e.firstInstalled.IsZero() {
			// Milliseconds since the epoch, as a number (eSIMDetailsResponse).
			m["firstInstalledDateTime"] = e.firstInstalled.UnixMilli()
		}
		if strings.Contains(r.URL.Query().Get("additionalFields"), "installUrl") {
			lpa := esimgo.LPA(e.smdp, e.matchingID)
			m["appleInstallUrl"] = esimgo.IOSInstallURL(lpa)
			m["androidInstallUrl"] = esimgo.AndroidInstallURL(lpa)
		}
	}
	f.mu.Unlock()
	if e == nil {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", iccid))
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (f *Fake) handleUpdateESIM(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iccid, ref := q.Get("iccid"), q.Get("customerRef")
	_, hasRef := q["customerRef"]
	if iccid == "" {
		var body struct {
			ICCID       string  `json:"iccid"`
			CustomerRef *string `json:"customerRef"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		iccid = body.ICCID
		if body.CustomerRef != nil {
			ref, hasRef = *body.CustomerRef, true
		}
	}
	if iccid == "" || !hasRef {
		writeMessage(w, http.StatusBadRequest, "iccid and customerRef are required")
		return
	}
	f.mu.Lock()
	e := f.esims[iccid]
	if e != nil {
		e.customerRef = ref
	}
	f.mu.Unlock()
	if e == nil {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", iccid))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

func (f *Fake) handleCompatible(w http.ResponseWriter, r *http.Request) {
	iccid, name := r.PathValue("iccid"), r.PathValue("bundle")
	f.mu.Lock()
	e := f.esims[iccid]
	_, known := f.bundle(name)
	incompatible := f.incompat[[2]string{iccid, name}]
	f.mu.Unlock()
	switch {
	case e == nil:
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", iccid))
	case !known:
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Bundle %s does not exist", name))
	default:
		writeJSON(w, http.StatusOK, map[string]bool{"compatible": !incompatible})
	}
}

func (f *Fake) handleRevoke(w http.ResponseWriter, r *http.Request) {
	iccid, name := r.PathValue("iccid"), r.PathValue("name")
	q := r.URL.Query()
	validate := q.Get("type") == "validate"
	refund := strings.EqualFold(q.Get("refundToBalance"), "true")

	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.esims[iccid]
	if e == nil {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", iccid))
		return
	}
	// eSIM Go revokes the oldest unused assignment of that bundle.
	i := slices.IndexFunc(e.assignments, func(a *bundleAssignment) bool { return a.bundle == name && a.state == "queued" })
	if i < 0 {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("No unused assignment of bundle %s found on eSIM %s", name, iccid))
		return
	}
	if validate {
		writeJSON(w, http.StatusOK, map[string]any{"status": "Bundle can be revoked", "refundable": true})
		return
	}
	a := e.assignments[i]
	a.state = "revoked"
	if refund {
		f.balance = f.balance.Add(a.price)
		writeJSON(w, http.StatusOK, map[string]string{"status": "Successfully Revoked Bundle, bundle has been refunded to balance"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Successfully Revoked Bundle, bundle has been refunded to inventory"})
}

// ESIMs returns every eSIM the Fake has issued, in creation order.
func (f *Fake) ESIMs() []esimgo.ESIM {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]esimgo.ESIM, 0, len(f.esimSeq))
	for _, id := range f.esimSeq {
		e := f.esims[id]
		lpa := esimgo.LPA(e.smdp, e.matchingID)
		out = append(out, esimgo.ESIM{
			ICCID: e.iccid, MatchingID: e.matchingID, SMDPAddress: esimgo.NormalizeSMDP(e.smdp),
			ProfileStatus: e.profileStatus, State: e.state, PIN: e.pin, PUK: e.puk, CustomerRef: e.customerRef,
			FirstInstalledAt: e.firstInstalled,
			AppleInstallURL:  esimgo.IOSInstallURL(lpa), AndroidInstallURL: esimgo.AndroidInstallURL(lpa),
		})
	}
	return out
}

// BundlesOn returns the names of the bundles applied to an eSIM that are not revoked, oldest first.
func (f *Fake) BundlesOn(iccid string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.esims[iccid]
	if e == nil {
		return nil
	}
	var out []string
	for _, a := range e.assignments {
		if a.state != "revoked" {
			out = append(out, a.bundle)
		}
	}
	return out
}
