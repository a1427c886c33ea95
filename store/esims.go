package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// After the sale: which eSIMs a buyer owns, their install state and data
// left as eSIM Go last reported them, low-data alerts, and the
// compatibility cache for top-ups.

// Install states (the contract's install_state values).
const (
	InstallNotInstalled = "not_installed"
	InstallInstalled    = "installed"
	InstallRemoved      = "removed"
)

// ESIMBundle is one bundle applied to an eSIM, with its data left.
type ESIMBundle struct {
	Assignment   string     `json:"-"` // eSIM Go's assignment reference (or id)
	AssignmentID string     `json:"-"`
	Name         string     `json:"name"`
	Description  string     `json:"description"`
	Initial      int64      `json:"initial_bytes"`
	Remaining    int64      `json:"remaining_bytes"`
	Unlimited    bool       `json:"unlimited"`
	State        string     `json:"state"`
	AssignedAt   *time.Time `json:"-"`
	StartsAt     *time.Time `json:"starts_at"`
	EndsAt       *time.Time `json:"ends_at"`
}

// OwnedESIM is one of a buyer's eSIMs.
type OwnedESIM struct {
	ICCID        string
	OrderIDs     []string // oldest first: the purchase, then top-ups
	PlanID       string   // the purchase's plan
	PlanName     string
	FirstAt      time.Time
	InstallState string
	RefreshedAt  *time.Time // last successful read from eSIM Go; nil if never
	Bundles      []ESIMBundle
}

// ownedFilter: an eSIM belongs to the buyer of an order that bought it or
// topped it up, as long as one such order is not refunded (a support
// refund takes the bundle back).
const ownedFilter = `e.iccid IS NOT NULL AND o.status <> 'refunded'`

// maxOwnedESIMs bounds what one buyer's list returns.
const maxOwnedESIMs = 50

// BuyerESIMs lists the buyer's eSIMs, newest first, each with its install
// state and bundles (the active bundle first).
func (s *Store) BuyerESIMs(ctx context.Context, userID int64) ([]OwnedESIM, error) {
	rows, err := s.Pool.Query(ctx, `SELECT e.iccid, array_agg(e.order_id ORDER BY e.created_at),
			(array_agg(o.plan_id ORDER BY e.created_at))[1], (array_agg(o.plan_name ORDER BY e.created_at))[1],
			min(e.created_at)
		FROM esim_orders e JOIN orders o ON o.id = e.order_id
		WHERE o.user_id = $1::bigint AND `+ownedFilter+`
		GROUP BY e.iccid ORDER BY min(e.created_at) DESC LIMIT $2`, userID, maxOwnedESIMs)
	if err != nil {
		return nil, fmt.Errorf("esims of %d: %w", userID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OwnedESIM, error) {
		var o OwnedESIM
		err := r.Scan(&o.ICCID, &o.OrderIDs, &o.PlanID, &o.PlanName, &o.FirstAt)
		o.OrderIDs = slices.Compact(o.OrderIDs) // a subscription's renewals share its id
		o.InstallState = InstallNotInstalled
		return o, err
	})
	if err != nil || len(list) == 0 {
		return list, err
	}
	at := map[string]*OwnedESIM{}
	iccids := make([]string, len(list))
	for i := range list {
		at[list[i].ICCID] = &list[i]
		iccids[i] = list[i].ICCID
	}
	rows, err = s.Pool.Query(ctx, `SELECT iccid, install_state, refreshed_at FROM esims WHERE iccid = ANY ($1)`, iccids)
	if err != nil {
		return nil, fmt.Errorf("install states: %w", err)
	}
	var iccid, state string
	var refreshed *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&iccid, &state, &refreshed}, func() error {
		at[iccid].InstallState, at[iccid].RefreshedAt = state, refreshed
		return nil
	}); err != nil {
		return nil, fmt.Errorf("install states: %w", err)
	}
	bundles, err := s.bundlesOf(ctx, iccids)
	if err != nil {
		return nil, err
	}
	for id, bs := range bundles {
		at[id].Bundles = bs
	}
	return list, nil
}

// bundleOrder puts the bundle in use first, then those waiting their turn
// (oldest first: eSIM Go uses them in that order), then used ones, newest first.
const bundleOrder = `CASE state WHEN 'active' THEN 0 WHEN 'processing' THEN 1 WHEN 'queued' THEN 1 WHEN '' THEN 1
		WHEN 'depleted' THEN 2 ELSE 3 END,
	CASE WHEN state IN ('processing', 'queued', '') THEN extract(epoch FROM assigned_at) ELSE -extract(epoch FROM assigned_at) END
		NULLS LAST, assignment`

const bundleColumns = `assignment, assignment_id, name, description, initial_bytes, remaining_bytes, unlimited, state,
	assigned_at, starts_at, ends_at`

func scanBundle(r pgx.Row, extra ...any) (ESIMBundle, error) {
	var b ESIMBundle
	err := r.Scan(append(extra, &b.Assignment, &b.AssignmentID, &b.Name, &b.Description, &b.Initial, &b.Remaining,
		&b.Unlimited, &b.State, &b.AssignedAt, &b.StartsAt, &b.EndsAt)...)
	return b, err
}

// bundlesOf returns the bundles of each eSIM, revoked ones left out.
func (s *Store) bundlesOf(ctx context.Context, iccids []string) (map[string][]ESIMBundle, error) {
	rows, err := s.Pool.Query(ctx, `SELECT iccid, `+bundleColumns+` FROM esim_bundles
		WHERE iccid = ANY ($1) AND state <> 'revoked' ORDER BY iccid, `+bundleOrder, iccids)
	if err != nil {
		return nil, fmt.Errorf("bundles: %w", err)
	}
	out := map[string][]ESIMBundle{}
	var iccid string
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		b, err := scanBundle(r, &iccid)
		out[iccid] = append(out[iccid], b)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("bundles: %w", err)
	}
	return out, nil
}

// Bundles returns one eSIM's bundles as BuyerESIMs orders them.
func (s *Store) Bundles(ctx context.Context, iccid string) ([]ESIMBundle, error) {
	m, err := s.bundlesOf(ctx, []string{iccid})
	return m[iccid], err
}

// ESIMOwner is who an eSIM was sold to, from its latest order, with what
// is needed to talk to them about it.
type ESIMOwner struct {
	UserID       int64
	ChatID       int64
	LanguageCode string
	OrderID      string // the latest order for the eSIM
	PlanID       string // the purchase's plan
	PlanName     string
	SMDPAddress  string
	MatchingID   string
}

// OwnerOfESIM returns the eSIM's owner, or ErrNotFound for an eSIM the
// store never sold (or only sold in orders since refunded).
func (s *Store) OwnerOfESIM(ctx context.Context, iccid string) (ESIMOwner, error) {
	var o ESIMOwner
	err := s.Pool.QueryRow(ctx, `SELECT
			(array_agg(o.user_id ORDER BY e.created_at DESC))[1], (array_agg(o.chat_id ORDER BY e.created_at DESC))[1],
			(array_agg(o.language_code ORDER BY e.created_at DESC))[1], (array_agg(o.id ORDER BY e.created_at DESC))[1],
			(array_agg(o.plan_id ORDER BY e.created_at))[1], (array_agg(o.plan_name ORDER BY e.created_at))[1],
			coalesce((array_agg(e.smdp_address ORDER BY e.created_at) FILTER (WHERE e.matching_id IS NOT NULL))[1], ''),
			coalesce((array_agg(e.matching_id ORDER BY e.created_at) FILTER (WHERE e.matching_id IS NOT NULL))[1], '')
		FROM esim_orders e JOIN orders o ON o.id = e.order_id
		WHERE e.iccid = $1 AND `+ownedFilter+` HAVING count(*) > 0`, iccid).
		Scan(&o.UserID, &o.ChatID, &o.LanguageCode, &o.OrderID, &o.PlanID, &o.PlanName, &o.SMDPAddress, &o.MatchingID)
	if errors.Is(err, pgx.ErrNoRows) {
		return ESIMOwner{}, fmt.Errorf("esim %s: %w", iccid, ErrNotFound)
	}
	if err != nil {
		return ESIMOwner{}, fmt.Errorf("owner of esim %s: %w", iccid, err)
	}
	return o, nil
}

// ClaimESIMRefresh reports whether the caller may read the eSIM from eSIM
// Go now: true at most once per every, however many callers ask at once
// (the conditional upsert lets one of them through).
func (s *Store) ClaimESIMRefresh(ctx context.Context, iccid string, every time.Duration) (bool, error) {
	var claimed bool
	err := s.Pool.QueryRow(ctx, `INSERT INTO esims (iccid, refresh_claimed_at) VALUES ($1, now())
		ON CONFLICT (iccid) DO UPDATE SET refresh_claimed_at = now()
			WHERE esims.refresh_claimed_at IS NULL OR esims.refresh_claimed_at <= now() - make_interval(secs => $2)
		RETURNING true`, iccid, every.Seconds()).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim refresh of esim %s: %w", iccid, err)
	}
	return claimed, nil
}

// ExpireESIMRefresh makes the next reader of the eSIM refresh it from eSIM
// Go: a top-up was just bought onto it, which the cache does not show yet.
// Purchases bound how often this happens; buyers' reads cannot cause it.
func (s *Store) ExpireESIMRefresh(ctx context.Context, iccid string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esims SET refresh_claimed_at = NULL WHERE iccid = $1`, iccid)
	if err != nil {
		return fmt.Errorf("expire refresh of esim %s: %w", iccid, err)
	}
	return nil
}

// ProfileInfo is an eSIM's profile as eSIM Go reported it.
type ProfileInfo struct {
	InstallState     string
	ProfileStatus    string
	FirstInstalledAt time.Time
}

// SaveESIMRefresh stores what a read of eSIM Go returned: the profile (nil
// when it was not read this time) and the complete list of bundles, which
// replaces the stored one.
func (s *Store) SaveESIMRefresh(ctx context.Context, iccid string, p *ProfileInfo, bundles []ESIMBundle) error {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save refresh of esim %s: %w", iccid, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	if _, err := tx.Exec(ctx, `INSERT INTO esims (iccid) VALUES ($1) ON CONFLICT DO NOTHING`, iccid); err != nil {
		return fmt.Errorf("save refresh of esim %s: %w", iccid, err)
	}
	if p != nil {
		_, err = tx.Exec(ctx, `UPDATE esims SET install_state = $2, profile_status = $3,
				first_installed_at = coalesce($4, first_installed_at), refreshed_at = now(), updated_at = now()
			WHERE iccid = $1`, iccid, p.InstallState, p.ProfileStatus, nullTime(p.FirstInstalledAt))
	} else {
		_, err = tx.Exec(ctx, `UPDATE esims SET refreshed_at = now(), updated_at = now() WHERE iccid = $1`, iccid)
	}
	if err != nil {
		return fmt.Errorf("save refresh of esim %s: %w", iccid, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM esim_bundles WHERE iccid = $1`, iccid); err != nil {
		return fmt.Errorf("save bundles of esim %s: %w", iccid, err)
	}
	for _, b := range bundles {
		if b.Assignment == "" {
			b.Assignment = "name:" + b.Name
		}
		if _, err := tx.Exec(ctx, `INSERT INTO esim_bundles (iccid, assignment, assignment_id, name, description,
				initial_bytes, remaining_bytes, unlimited, state, assigned_at, starts_at, ends_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (iccid, assignment) DO NOTHING`,
			iccid, b.Assignment, b.AssignmentID, b.Name, b.Description, max(b.Initial, 0), max(b.Remaining, 0), b.Unlimited,
			b.State, b.AssignedAt, b.StartsAt, b.EndsAt); err != nil {
			return fmt.Errorf("save bundles of esim %s: %w", iccid, err)
		}
	}
	return tx.Commit(ctx)
}

// ApplyUsage records a usage callback for one assignment and returns the
// assignment as stored. Data left only ever goes down within an
// assignment, so a callback delivered late (after a newer one) cannot
// raise it again. The assignment is found by its reference or id, or, for
// a callback naming neither, by bundle name (the one in use).
func (s *Store) ApplyUsage(ctx context.Context, iccid string, b ESIMBundle) (ESIMBundle, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return ESIMBundle{}, fmt.Errorf("apply usage of esim %s: %w", iccid, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	if _, err := tx.Exec(ctx, `INSERT INTO esims (iccid) VALUES ($1) ON CONFLICT DO NOTHING`, iccid); err != nil {
		return ESIMBundle{}, fmt.Errorf("apply usage of esim %s: %w", iccid, err)
	}
	var key string
	err = tx.QueryRow(ctx, `SELECT assignment FROM esim_bundles WHERE iccid = $1 AND (
			($2 <> '' AND assignment = $2) OR ($3 <> '' AND assignment_id = $3) OR ($2 = '' AND $3 = '' AND name = $4))
		ORDER BY (assignment = $2) DESC, `+bundleOrder+` LIMIT 1`, iccid, b.Assignment, b.AssignmentID, b.Name).Scan(&key)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		key = b.Assignment
		if key == "" {
			key = b.AssignmentID
		}
		if key == "" {
			key = "name:" + b.Name
		}
	case err != nil:
		return ESIMBundle{}, fmt.Errorf("apply usage of esim %s: %w", iccid, err)
	}
	// A usage report means the bundle is in use: active, or depleted at 0.
	out, err := scanBundle(tx.QueryRow(ctx, `INSERT INTO esim_bundles AS b (iccid, assignment, assignment_id, name, description,
			initial_bytes, remaining_bytes, unlimited, state, starts_at, ends_at)
		VALUES ($1,$2,$3,$4,$5,$6::bigint,$7::bigint,$8::boolean,
			CASE WHEN $7::bigint = 0 AND NOT $8::boolean AND $6::bigint > 0 THEN 'depleted' ELSE 'active' END, $9, $10)
		ON CONFLICT (iccid, assignment) DO UPDATE SET
			assignment_id = coalesce(nullif(excluded.assignment_id, ''), b.assignment_id),
			description = coalesce(nullif(excluded.description, ''), b.description),
			initial_bytes = greatest(b.initial_bytes, excluded.initial_bytes),
			remaining_bytes = least(b.remaining_bytes, excluded.remaining_bytes),
			unlimited = excluded.unlimited,
			state = CASE WHEN b.state IN ('expired', 'lapsed', 'revoked') THEN b.state
				WHEN least(b.remaining_bytes, excluded.remaining_bytes) = 0 AND NOT excluded.unlimited
					AND greatest(b.initial_bytes, excluded.initial_bytes) > 0 THEN 'depleted'
				ELSE 'active' END,
			starts_at = coalesce(excluded.starts_at, b.starts_at), ends_at = coalesce(excluded.ends_at, b.ends_at),
			updated_at = now()
		RETURNING `+bundleColumns, iccid, key, b.AssignmentID, b.Name, b.Description, max(b.Initial, 0),
		max(b.Remaining, 0), b.Unlimited, b.StartsAt, b.EndsAt))
	if err != nil {
		return ESIMBundle{}, fmt.Errorf("apply usage of esim %s: %w", iccid, err)
	}
	return out, tx.Commit(ctx)
}

// ClaimAlert reserves the low-data alert of one assignment at one
// threshold and reports whether it is still to be sent: never after it
// was sent, or after a later threshold made it moot (SuppressAlert).
func (s *Store) ClaimAlert(ctx context.Context, iccid, assignment string, threshold int) (bool, error) {
	var send bool
	err := s.Pool.QueryRow(ctx, `INSERT INTO esim_alerts (iccid, assignment, threshold) VALUES ($1, $2, $3)
		ON CONFLICT (iccid, assignment, threshold) DO UPDATE SET iccid = excluded.iccid
		RETURNING sent_at IS NULL AND NOT suppressed`, iccid, assignment, threshold).Scan(&send)
	if err != nil {
		return false, fmt.Errorf("claim %d%% alert of esim %s: %w", threshold, iccid, err)
	}
	return send, nil
}

// SuppressAlert marks an alert that must not be sent any more (a later
// threshold was reached first: "80 % used" after "100 % used" is noise).
func (s *Store) SuppressAlert(ctx context.Context, iccid, assignment string, threshold int) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO esim_alerts (iccid, assignment, threshold, suppressed) VALUES ($1, $2, $3, true)
		ON CONFLICT (iccid, assignment, threshold) DO UPDATE SET suppressed = esim_alerts.sent_at IS NULL`,
		iccid, assignment, threshold)
	if err != nil {
		return fmt.Errorf("suppress %d%% alert of esim %s: %w", threshold, iccid, err)
	}
	return nil
}

// MarkAlertSent records that the alert reached the buyer (or could not:
// a blocked bot is not tried again).
func (s *Store) MarkAlertSent(ctx context.Context, iccid, assignment string, threshold int) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esim_alerts SET sent_at = coalesce(sent_at, now())
		WHERE iccid = $1 AND assignment = $2 AND threshold = $3`, iccid, assignment, threshold)
	if err != nil {
		return fmt.Errorf("mark %d%% alert of esim %s sent: %w", threshold, iccid, err)
	}
	return nil
}

// installRank orders install states for callbacks that carry no time:
// a profile is installed after it was not, and removed after that.
func installRank(state string) int {
	switch state {
	case InstallInstalled:
		return 1
	case InstallRemoved:
		return 2
	}
	return 0
}

// StatusChange is the outcome of applying a profile status callback.
type StatusChange struct {
	Before, After string
	// NotifyInstalled: a callback reported the eSIM installed for the first
	// time, and the "installed" message is now claimed for sending
	// (UnclaimInstalledNotice undoes it).
	NotifyInstalled bool
}

// ApplyProfileStatus records a profile status change reported by a
// callback. Callbacks may arrive out of order: one carrying the device
// time of the change is applied only if newer than the last applied; one
// without a time only moves the state forward (not installed → installed
// → removed). A read from eSIM Go (SaveESIMRefresh) sets the truth.
func (s *Store) ApplyProfileStatus(ctx context.Context, iccid, state, profileStatus string, changedAt time.Time) (StatusChange, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return StatusChange{}, fmt.Errorf("apply status of esim %s: %w", iccid, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	if _, err := tx.Exec(ctx, `INSERT INTO esims (iccid) VALUES ($1) ON CONFLICT DO NOTHING`, iccid); err != nil {
		return StatusChange{}, fmt.Errorf("apply status of esim %s: %w", iccid, err)
	}
	var before string
	var lastAt, notified *time.Time
	if err := tx.QueryRow(ctx, `SELECT install_state, state_changed_at, installed_notified_at
		FROM esims WHERE iccid = $1 FOR UPDATE`, iccid).Scan(&before, &lastAt, &notified); err != nil {
		return StatusChange{}, fmt.Errorf("apply status of esim %s: %w", iccid, err)
	}
	ch := StatusChange{Before: before, After: before}
	newer := !changedAt.IsZero() && (lastAt == nil || changedAt.After(*lastAt))
	forward := changedAt.IsZero() && installRank(state) > installRank(before)
	if !newer && !forward {
		return ch, tx.Commit(ctx)
	}
	ch.After = state
	ch.NotifyInstalled = state == InstallInstalled && notified == nil
	if _, err := tx.Exec(ctx, `UPDATE esims SET install_state = $2, profile_status = $3,
			state_changed_at = coalesce($4, state_changed_at),
			first_installed_at = CASE WHEN $2 = 'installed' THEN coalesce(first_installed_at, $4, now()) ELSE first_installed_at END,
			installed_notified_at = CASE WHEN $5 THEN now() ELSE installed_notified_at END,
			updated_at = now()
		WHERE iccid = $1`, iccid, state, profileStatus, nullTime(changedAt), ch.NotifyInstalled); err != nil {
		return StatusChange{}, fmt.Errorf("apply status of esim %s: %w", iccid, err)
	}
	return ch, tx.Commit(ctx)
}

// UnclaimInstalledNotice gives the "installed" message back when it could
// not be sent, so a retry sends it.
func (s *Store) UnclaimInstalledNotice(ctx context.Context, iccid string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esims SET installed_notified_at = NULL WHERE iccid = $1`, iccid)
	if err != nil {
		return fmt.Errorf("unclaim installed notice of esim %s: %w", iccid, err)
	}
	return nil
}

// ClaimInstallReminder reserves the one install reminder of an eSIM;
// false when it was already sent.
func (s *Store) ClaimInstallReminder(ctx context.Context, iccid string) (bool, error) {
	var claimed bool
	err := s.Pool.QueryRow(ctx, `INSERT INTO esims (iccid, reminded_at) VALUES ($1, now())
		ON CONFLICT (iccid) DO UPDATE SET reminded_at = now() WHERE esims.reminded_at IS NULL
		RETURNING true`, iccid).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim install reminder of esim %s: %w", iccid, err)
	}
	return claimed, nil
}

// UnclaimInstallReminder gives the reminder back when it could not be sent.
func (s *Store) UnclaimInstallReminder(ctx context.Context, iccid string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esims SET reminded_at = NULL WHERE iccid = $1`, iccid)
	if err != nil {
		return fmt.Errorf("unclaim install reminder of esim %s: %w", iccid, err)
	}
	return nil
}

// InstallRemindersDue lists the eSIMs whose QR was delivered between
// after+lookback and after ago and which may still need their install
// reminder: not known as installed or removed, not reminded, and still
// owned (a refund took the bundle back). Earliest delivery first, at most
// limit. A top-up delivered onto an eSIM the buyer already had does not
// count as a delivery of that eSIM; one eSIM Go put on a new eSIM does.
// The install state here is the cached one: the caller refreshes it.
func (s *Store) InstallRemindersDue(ctx context.Context, after, lookback time.Duration, limit int) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT d.iccid FROM (
			SELECT ev.detail->>'iccid' AS iccid, min(ev.created_at) AS delivered_at
			FROM order_events ev
			WHERE ev.kind = 'delivered'
				AND ev.created_at <= now() - make_interval(secs => $1)
				AND ev.created_at > now() - make_interval(secs => $1 + $2)
				AND coalesce(ev.detail->>'iccid', '') <> ''
				AND ev.detail->>'iccid' IS DISTINCT FROM ev.detail->>'top_up_of'
			GROUP BY 1) d
		LEFT JOIN esims s ON s.iccid = d.iccid
		WHERE (s.iccid IS NULL OR (s.reminded_at IS NULL AND s.install_state = 'not_installed'))
			AND EXISTS (SELECT 1 FROM esim_orders e JOIN orders o ON o.id = e.order_id
				WHERE e.iccid = d.iccid AND `+ownedFilter+`)
		ORDER BY d.delivered_at LIMIT $3`, after.Seconds(), lookback.Seconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("install reminders due: %w", err)
	}
	iccids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("install reminders due: %w", err)
	}
	return iccids, nil
}

// InstallStateOf returns the stored install state ("not_installed" for an
// eSIM never looked at) and when eSIM Go was last read for it.
func (s *Store) InstallStateOf(ctx context.Context, iccid string) (string, *time.Time, error) {
	var state string
	var refreshed *time.Time
	err := s.Pool.QueryRow(ctx, `SELECT install_state, refreshed_at FROM esims WHERE iccid = $1`, iccid).Scan(&state, &refreshed)
	if errors.Is(err, pgx.ErrNoRows) {
		return InstallNotInstalled, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("install state of esim %s: %w", iccid, err)
	}
	return state, refreshed, nil
}

// Compatibility returns the cached answer for a bundle family on an eSIM,
// if one younger than maxAge exists.
func (s *Store) Compatibility(ctx context.Context, iccid, family string, maxAge time.Duration) (compatible, found bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT compatible FROM esim_compatibility
		WHERE iccid = $1 AND family = $2 AND checked_at > now() - make_interval(secs => $3)`,
		iccid, family, maxAge.Seconds()).Scan(&compatible)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("compatibility of %s with esim %s: %w", family, iccid, err)
	}
	return compatible, true, nil
}

// SaveCompatibility caches eSIM Go's answer for a bundle family on an eSIM.
func (s *Store) SaveCompatibility(ctx context.Context, iccid, family string, compatible bool) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO esim_compatibility (iccid, family, compatible) VALUES ($1, $2, $3)
		ON CONFLICT (iccid, family) DO UPDATE SET compatible = excluded.compatible, checked_at = now()`,
		iccid, family, compatible)
	if err != nil {
		return fmt.Errorf("save compatibility of %s with esim %s: %w", family, iccid, err)
	}
	return nil
}

// ForgetCompatibility drops a cached answer eSIM Go has since contradicted
// (a top-up it refused), so the next buyer's check asks again.
func (s *Store) ForgetCompatibility(ctx context.Context, iccid, family string) error {
	_, err := s.Pool.Exec(ctx, `DELETE FROM esim_compatibility WHERE iccid = $1 AND family = $2`, iccid, family)
	if err != nil {
		return fmt.Errorf("forget compatibility of %s with esim %s: %w", family, iccid, err)
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
