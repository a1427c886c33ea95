package esimgotest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/starsesim/esimstore/esimgo"
)

// After the sale: each assignment carries its data left and validity, the
// test hooks below play the buyer's phone (install, use data) and time
// (expiry), and each change eSIM Go would report is posted to the callback
// URL (callbacks.go).

// usageThresholds are the shares of a bundle at which eSIM Go sends a
// Utilisation callback (reference §5). FirstUse replaces the 1 % one.
var usageThresholds = []int{50, 80, 100}

type wireAssignmentUsage struct {
	ID                  string `json:"id"`
	CallTypeGroup       string `json:"callTypeGroup"`
	InitialQuantity     int64  `json:"initialQuantity"`
	RemainingQuantity   int64  `json:"remainingQuantity"`
	AssignmentDateTime  string `json:"assignmentDateTime"`
	AssignmentReference string `json:"assignmentReference"`
	BundleState         string `json:"bundleState"`
	Unlimited           bool   `json:"unlimited"`
	StartTime           string `json:"startTime,omitempty"`
	EndTime             string `json:"endTime,omitempty"`
}

func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *bundleAssignment) wire() wireAssignmentUsage {
	return wireAssignmentUsage{ID: a.id, CallTypeGroup: "data", InitialQuantity: a.initial, RemainingQuantity: a.remaining,
		AssignmentDateTime: a.at.UTC().Format(time.RFC3339Nano), AssignmentReference: a.reference, BundleState: a.state,
		Unlimited: a.unlimited, StartTime: wireTime(a.start), EndTime: wireTime(a.end)}
}

// used reports whether the assignment is over: eSIM Go lists those only
// with includeUsed=true.
func (a *bundleAssignment) used() bool {
	switch a.state {
	case esimgo.BundleDepleted, esimgo.BundleExpired, esimgo.BundleLapsed, esimgo.BundleRevoked:
		return true
	}
	return false
}

// handleBundles answers GET /esims/{iccid}/bundles: the bundles applied to
// the eSIM, each with its assignments, newest first, at most limit (1–200,
// default 15) assignments.
func (f *Fake) handleBundles(w http.ResponseWriter, r *http.Request) {
	iccid := r.PathValue("iccid")
	q := r.URL.Query()
	includeUsed := strings.EqualFold(q.Get("includeUsed"), "true")
	limit := intParam(q, "limit", 15)
	if limit < 1 || limit > 200 {
		writeMessage(w, http.StatusBadRequest, "limit must be between 1 and 200")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.esims[iccid]
	if e == nil {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("eSIM %s not found", iccid))
		return
	}
	type group struct {
		Name        string                `json:"name"`
		Description string                `json:"description"`
		Assignments []wireAssignmentUsage `json:"assignments"`
	}
	var groups []*group
	n := 0
	for _, a := range slices.Backward(e.assignments) {
		if n == limit || (!includeUsed && a.used()) {
			continue
		}
		n++
		i := slices.IndexFunc(groups, func(g *group) bool { return g.Name == a.bundle })
		if i < 0 {
			groups = append(groups, &group{Name: a.bundle, Description: a.description})
			i = len(groups) - 1
		}
		groups[i].Assignments = append(groups[i].Assignments, a.wire())
	}
	out := make([]group, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bundles": out})
}

// Install plays the buyer installing the eSIM on a phone: its profile
// becomes Installed (and gets its first install time) and a
// ProfileStatusChange callback is sent.
func (f *Fake) Install(iccid string) error {
	return f.setProfile(iccid, "Installed")
}

// Uninstall plays the buyer deleting the profile from the phone: Released
// with a first install time, which eSIM Go's readers take as removed.
func (f *Fake) Uninstall(iccid string) error {
	return f.setProfile(iccid, "Released")
}

func (f *Fake) setProfile(iccid, status string) error {
	f.mu.Lock()
	e := f.esims[iccid]
	if e == nil {
		f.mu.Unlock()
		return fmt.Errorf("esimgotest: no eSIM %s", iccid)
	}
	now := f.opts.Now().UTC()
	changed := e.profileStatus != status
	e.profileStatus = status
	if status == "Installed" && e.firstInstalled.IsZero() {
		e.firstInstalled = now
	}
	var body []byte
	if changed { // eSIM Go notifies only changes
		body = profileStatusBody(e, now)
	}
	f.mu.Unlock()
	return f.send(body)
}

// UseData plays the phone using percent of the eSIM's current bundle (the
// active one, or else the oldest queued one, which then starts: its
// validity runs from now and a FirstUse callback is sent). A Utilisation
// callback goes out for every threshold crossed (50, 80, 100 %); a bundle
// used up is depleted. It returns the assignment's data left in bytes.
func (f *Fake) UseData(iccid string, percent int) (int64, error) {
	if percent <= 0 || percent > 100 {
		return 0, fmt.Errorf("esimgotest: use 1–100 %% of a bundle, not %d", percent)
	}
	f.mu.Lock()
	e := f.esims[iccid]
	if e == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("esimgotest: no eSIM %s", iccid)
	}
	a := current(e)
	if a == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("esimgotest: eSIM %s has no bundle with data left", iccid)
	}
	now := f.opts.Now().UTC()
	var bodies [][]byte
	if a.state == esimgo.BundleQueued {
		a.state, a.start, a.end = esimgo.BundleActive, now, now.AddDate(0, 0, a.days)
		bodies = append(bodies, usageBody(esimgo.AlertFirstUse, e, a, true))
	}
	if !a.unlimited {
		usedBefore := a.usedPercent()
		a.remaining = max(a.remaining-a.initial*int64(percent)/100, 0)
		if a.remaining == 0 {
			a.state = esimgo.BundleDepleted
		}
		for _, th := range usageThresholds {
			if usedBefore < th && a.usedPercent() >= th {
				bodies = append(bodies, usageBody(esimgo.AlertUtilisation, e, a, false))
			}
		}
	}
	left := a.remaining
	f.mu.Unlock()
	return left, f.send(bodies...)
}

func (a *bundleAssignment) usedPercent() int {
	if a.initial <= 0 {
		return 0
	}
	return int((a.initial - a.remaining) * 100 / a.initial)
}

// current is the assignment data is taken from: the active one, else the
// oldest queued one.
func current(e *esim) *bundleAssignment {
	for _, a := range e.assignments {
		if a.state == esimgo.BundleActive {
			return a
		}
	}
	for _, a := range e.assignments {
		if a.state == esimgo.BundleQueued || a.state == esimgo.BundleProcessing {
			return a
		}
	}
	return nil
}

// Expire plays the clock running out on the eSIM's bundles: started ones
// (active or depleted) become expired, unused ones lapsed. eSIM Go sends
// no callback for it.
func (f *Fake) Expire(iccid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.esims[iccid]
	if e == nil {
		return fmt.Errorf("esimgotest: no eSIM %s", iccid)
	}
	now := f.opts.Now().UTC()
	for _, a := range e.assignments {
		switch a.state {
		case esimgo.BundleActive, esimgo.BundleDepleted:
			a.state, a.end = esimgo.BundleExpired, now
		case esimgo.BundleQueued, esimgo.BundleProcessing:
			a.state = esimgo.BundleLapsed
		}
	}
	return nil
}

// ReassignTopUps makes top-ups of iccid land on a new eSIM even when the
// order says allowReassign:false, as eSIM Go has been seen to do: the
// answer then names the new eSIM.
func (f *Fake) ReassignTopUps(iccid string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reassign[iccid] = on
}

// Usage is one assignment as a test sees it.
type Usage struct {
	Bundle, Reference, State string
	Initial, Remaining       int64
	Unlimited                bool
	Start, End               time.Time
}

// UsageOf returns the eSIM's assignments, oldest first.
func (f *Fake) UsageOf(iccid string) []Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.esims[iccid]
	if e == nil {
		return nil
	}
	out := make([]Usage, 0, len(e.assignments))
	for _, a := range e.assignments {
		out = append(out, Usage{Bundle: a.bundle, Reference: a.reference, State: a.state, Initial: a.initial,
			Remaining: a.remaining, Unlimited: a.unlimited, Start: a.start, End: a.end})
	}
	return out
}
