package esimgo

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Install states: what a buyer needs to know about an eSIM's profile,
// derived from eSIM Go's profileStatus (reference §5).
const (
	InstallNotInstalled = "not_installed"
	InstallInstalled    = "installed"
	InstallRemoved      = "removed"
)

// InstallState maps eSIM Go's profileStatus to the store's install state.
// Released means never installed, unless the eSIM was installed once
// (firstInstalledAt set): then the profile was deleted from the device.
// Downloaded counts as installed: the profile is on the device and its
// activation code cannot be used again. Unavailable and Deactivated eSIMs
// cannot be used any more.
func InstallState(profileStatus string, firstInstalledAt time.Time) string {
	switch strings.ToLower(profileStatus) {
	case "installed", "downloaded", "enabled", "disabled":
		return InstallInstalled
	case "unavailable", "deactivated", "deleted":
		return InstallRemoved
	case "released":
		if !firstInstalledAt.IsZero() {
			return InstallRemoved
		}
	}
	return InstallNotInstalled
}

// Bundle states of an assignment (reference §5), lower case as eSIM Go answers.
const (
	BundleProcessing = "processing"
	BundleQueued     = "queued"
	BundleActive     = "active"
	BundleDepleted   = "depleted"
	BundleExpired    = "expired"
	BundleRevoked    = "revoked"
	BundleLapsed     = "lapsed"
)

// BundleAssignment is one bundle applied to an eSIM: what is left of it
// and for how long. Quantities are bytes (eSIM Go counts 1 GB as 10^9).
type BundleAssignment struct {
	Name        string
	Description string
	ID          string // the assignment's id
	Reference   string // the assignment's reference: the order reference and an index
	Initial     int64
	Remaining   int64
	Unlimited   bool
	State       string
	AssignedAt  time.Time
	StartTime   time.Time // zero until the bundle starts (first use)
	EndTime     time.Time
}

// Key identifies the assignment across listings and callbacks: its
// reference, or its id when eSIM Go sent no reference.
func (b BundleAssignment) Key() string {
	if b.Reference != "" {
		return b.Reference
	}
	return b.ID
}

type wireBundleAssignment struct {
	ID                  flexString `json:"id"`
	CallTypeGroup       string     `json:"callTypeGroup"`
	InitialQuantity     flexInt    `json:"initialQuantity"`
	RemainingQuantity   flexInt    `json:"remainingQuantity"`
	AssignmentDateTime  flexTime   `json:"assignmentDateTime"`
	AssignmentReference string     `json:"assignmentReference"`
	BundleState         string     `json:"bundleState"`
	Unlimited           bool       `json:"unlimited"`
	StartTime           flexTime   `json:"startTime"`
	EndTime             flexTime   `json:"endTime"`
}

// Bundles lists every bundle applied to the eSIM, used and expired ones
// included, newest assignments as eSIM Go orders them. Only data
// assignments are returned (callTypeGroup "data", or none given).
func (c *Client) Bundles(ctx context.Context, iccid string) ([]BundleAssignment, error) {
	const op = "list esim bundles"
	if err := segment(op, "ICCID", iccid); err != nil {
		return nil, err
	}
	cl := call{op: op, method: http.MethodGet, path: []string{"esims", iccid, "bundles"},
		query: url.Values{"includeUsed": {"true"}, "limit": {"200"}}, accept: "application/json"}
	r, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var w struct {
		Bundles []struct {
			Name        string                 `json:"name"`
			Description string                 `json:"description"`
			Assignments []wireBundleAssignment `json:"assignments"`
		} `json:"bundles"`
	}
	if err := decode(cl, r, &w); err != nil {
		return nil, err
	}
	var out []BundleAssignment
	for _, b := range w.Bundles {
		for _, a := range b.Assignments {
			if a.CallTypeGroup != "" && !strings.EqualFold(a.CallTypeGroup, "data") {
				continue
			}
			out = append(out, BundleAssignment{
				Name: b.Name, Description: b.Description, ID: string(a.ID), Reference: a.AssignmentReference,
				Initial: int64(a.InitialQuantity), Remaining: int64(a.RemainingQuantity), Unlimited: a.Unlimited,
				State: strings.ToLower(a.BundleState), AssignedAt: time.Time(a.AssignmentDateTime),
				StartTime: time.Time(a.StartTime), EndTime: time.Time(a.EndTime),
			})
		}
	}
	return out, nil
}

// sizeOrDuration matches the name parts that differ between bundles of one
// family: the data amount (1GB, 500MB) and the duration (7D).
var sizeOrDuration = regexp.MustCompile(`(?i)^\d+(gb|mb|d)$`)

// BundleFamily is the bundle's name without its data amount and duration:
// esim_1GB_7D_GB_V2 and esim_3GB_30D_GB_V2 are both esim_GB_V2. eSIM Go
// decides whether a bundle fits an existing eSIM by its network provider,
// which bundles of one family share, so a compatibility answer holds for
// the whole family.
func BundleFamily(name string) string {
	parts := strings.Split(name, "_")
	kept := parts[:0:0]
	for _, p := range parts {
		if !sizeOrDuration.MatchString(p) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "_")
}
