// Package budget spaces calls to a provider whose rate limit covers the
// whole deployment, not one process: eSIM Go allows an account 10 requests
// a second, Telegram a bot about 30 messages a second and a chat about one.
// However many API and worker processes there are, they book their calls on
// the same lanes (store.Store.Budget keeps the lanes in PostgreSQL, so every
// process sees one queue), and each call leaves at the moment it booked.
//
// A lane is a key and a gap: a booking takes the lane's next free moment and
// moves it on by the gap times the call's cost. Booking is first come, first
// served, so a burst of purchases drains in arrival order. Callers choose:
//
//   - Interactive (the default) joins the queue, unless its slot would be
//     further off than it may wait: then nothing is booked and *BusyError
//     says how long the queue is (an activity's local first try gives up
//     after a second and hands the call to the regular activity, which waits
//     longer);
//   - Background books only a lane nobody is queued on, so catalogue syncs,
//     usage refreshes and other bulk reads never delay a purchase; it waits
//     for the queue to empty, as long as its context allows.
//
// The providers' windows are their own (eSIM Go counts per fixed second),
// so the gaps keep Headroom in hand. And a process may wake late for its
// slot (a busy machine, a garbage collection) and leave right behind the
// next call: just before it leaves, each call passes a gate that counts
// the calls that really left on the lane within its window (Max calls per
// Max gaps, about a second), and waits the few milliseconds it takes for
// the window to move on if it is full. Slots keep the queue in order; the
// gate keeps the provider's second from ever seeing one call too many.
package budget

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Priority says whether a call may queue or only use spare capacity.
type Priority int

const (
	// Interactive calls have someone waiting on them (a purchase, the QR
	// photo, support's revoke); they queue in arrival order.
	Interactive Priority = iota
	// Background calls (catalogue sync, usage refreshes, tagging) take only
	// a lane nobody is queued on.
	Background
)

func (p Priority) String() string {
	if p == Background {
		return "background"
	}
	return "interactive"
}

// Headroom is the share of a provider's limit the lanes use. 7.5 % spare
// means a run of calls must reach the provider 80 ms closer together than
// they left before its second could see one call too many: on a busy
// two-core machine a call sometimes takes 50 ms longer than the next one
// from the gate to the provider (docs/performance.md, "Provider ceilings").
const Headroom = 0.925

// Gap is the spacing that keeps calls under perSecond, with Headroom.
// A perSecond of zero or less means no limit (zero gap).
func Gap(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / (perSecond * Headroom))
}

// Lane is one limit: every booking on Key keeps Gap per unit of cost free
// after it, and at most Max calls (tokens) leave within any Max×Gap.
// Max 0 leaves the gate out.
type Lane struct {
	Key string
	Gap time.Duration
	Max int
}

// maxGated is the largest limit a lane's gate keeps: a gate remembers that
// many departures. Limits above it are test and benchmark settings far
// above any provider's.
const maxGated = 100

// LaneFor is the lane of a limit of perSecond calls a second (zero or less:
// none), with Headroom.
func LaneFor(key string, perSecond float64) Lane { return LaneWith(key, perSecond, Headroom) }

// LaneWith is LaneFor with another share of the limit in use (0 < share ≤ 1).
func LaneWith(key string, perSecond, share float64) Lane {
	l := Lane{Key: key}
	if perSecond > 0 {
		l.Gap = time.Duration(float64(time.Second) / (perSecond * share))
	}
	if perSecond > 0 && perSecond <= maxGated {
		l.Max = max(int(perSecond), 1)
	}
	return l
}

// window is the span the lane's gate counts its Max calls over.
func (l Lane) window() time.Duration { return time.Duration(l.Max) * l.Gap }

// Request books one call.
type Request struct {
	// Lanes the call counts against (eSIM Go: the account; Telegram: the
	// bot and the chat). It leaves when all of them are free.
	Lanes []Lane
	// Cost in units of the lanes' gaps (eSIM Go's token cost); below 1 counts as 1.
	Cost     int
	Priority Priority
	// MaxWait is the furthest slot an Interactive call accepts, and how long
	// a Background call keeps waiting for an idle lane. Zero or less: no bound
	// beyond the context.
	MaxWait time.Duration
}

// Slot is the answer to a booking.
type Slot struct {
	// Booked: the call may leave after Wait. Otherwise nothing was booked
	// and Wait is how long until the lanes are free again.
	Booked bool
	Wait   time.Duration
}

// Limiter keeps the lanes. Implementations: Local (one process) and
// store.Store.Budget (PostgreSQL, shared by every process).
type Limiter interface {
	// Book reserves r's slot, or reports how far off the lanes' next free
	// moment is (Interactive beyond MaxWait, Background on a queued lane).
	// It never sleeps.
	Book(ctx context.Context, r Request) (Slot, error)
	// Pass lets a booked call leave now if none of its lanes has had Max
	// calls leave within its window, and notes its departure; otherwise
	// Booked is false and Wait is how long until it may.
	Pass(ctx context.Context, r Request) (Slot, error)
	// Hold keeps key closed for d from now, for every process: the provider
	// said so (a 429's Retry-After, a window's reset with nothing remaining).
	Hold(ctx context.Context, key string, d time.Duration) error
}

// BusyError is returned when a call would have to wait longer than it may:
// nothing was booked and nothing was sent.
type BusyError struct {
	Key string
	// RetryAfter is how long until the queue is short enough for the call.
	RetryAfter time.Duration
	Priority   Priority
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the %s budget is booked for the next %s (%s call not queued)", e.Key,
		e.RetryAfter.Round(time.Millisecond), e.Priority)
}

// IsBusy reports a *BusyError in err's chain.
func IsBusy(err error) bool {
	var b *BusyError
	return errors.As(err, &b)
}

// backgroundPoll bounds how long a Background call sleeps before it looks
// at its lanes again: the queue it waits behind may empty early.
const backgroundPoll = 2 * time.Second

// Wait books r and sleeps until its slot. An Interactive call whose slot
// would be more than r.MaxWait away, or past ctx's deadline, books nothing
// and returns *BusyError. A Background call sleeps until its lanes are idle
// and books then, giving up the same way once MaxWait or ctx runs out.
func Wait(ctx context.Context, l Limiter, r Request) error {
	maxWait := r.MaxWait
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); maxWait <= 0 || left < maxWait {
			maxWait = max(left, time.Nanosecond) // zero would mean unbounded
		}
	}
	r.MaxWait = maxWait
	if r.Priority != Background {
		s, err := l.Book(ctx, r)
		switch {
		case err != nil:
			return err
		case !s.Booked:
			return &BusyError{Key: keyOf(r), RetryAfter: max(s.Wait-maxWait, time.Millisecond), Priority: r.Priority}
		}
		return leave(ctx, l, r, s.Wait)
	}
	start := time.Now()
	for {
		s, err := l.Book(ctx, r)
		if err != nil {
			return err
		}
		if s.Booked {
			return leave(ctx, l, r, s.Wait)
		}
		waited := time.Since(start)
		if maxWait > 0 && waited+s.Wait > maxWait {
			return &BusyError{Key: keyOf(r), RetryAfter: s.Wait, Priority: r.Priority}
		}
		if err := sleep(ctx, min(s.Wait, backgroundPoll)); err != nil {
			return err
		}
	}
}

// leave sleeps until the booked slot, then through the gate.
func leave(ctx context.Context, l Limiter, r Request, wait time.Duration) error {
	if err := sleep(ctx, wait); err != nil {
		return err
	}
	if !gated(r) {
		return nil
	}
	for {
		s, err := l.Pass(ctx, r)
		if err != nil || s.Booked {
			return err
		}
		if err := sleep(ctx, s.Wait); err != nil {
			return err
		}
	}
}

func gated(r Request) bool {
	for _, ln := range r.Lanes {
		if ln.Max > 0 {
			return true
		}
	}
	return false
}

func keyOf(r Request) string {
	if len(r.Lanes) == 0 {
		return ""
	}
	return r.Lanes[0].Key
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type ctxKey int

const (
	priorityKey ctxKey = iota
	maxWaitKey
)

// WithPriority marks the calls made with ctx. Background work (a catalogue
// sync, a usage refresh, a reconciliation) wraps its context in
// WithPriority(ctx, Background) and the clients do the rest.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey, p)
}

// PriorityOf is ctx's priority; Interactive unless WithPriority said otherwise.
func PriorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey).(Priority)
	return p
}

// WithMaxWait bounds how long calls made with ctx wait for their slot
// (Request.MaxWait): a workflow's local first try waits a moment, then
// leaves the call to its regular activity rather than hold a workflow task.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey, d)
}

// MaxWaitOf is ctx's WithMaxWait bound, or zero.
func MaxWaitOf(ctx context.Context) time.Duration {
	d, _ := ctx.Value(maxWaitKey).(time.Duration)
	return d
}
