package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
)

// ESIMWorkflow owns what happens to one eSIM after the sale: eSIM Go's
// callbacks about it (usage, install state), handled one at a time in the
// order they arrived. The account-wide balance alerts have a run of their
// own (contract.AccountWorkflowID) on the same code.
//
// It is started on demand by signal-with-start (a callback stored by the
// API) and closes once no signal is unread. A later signal starts a fresh
// run. The callbacks themselves stay in the ledger's inbox; signals carry
// only their hash, so the history stays small, and a long-lived run
// continues as new.
//
// Install reminders are now sent by a periodic sweep
// (InstallRemindersWorkflow). Releases before it signalled esimDelivered
// here and kept a timer per eSIM; that path stays, unchanged, so runs
// they started replay and remind on time (docs/architecture.md,
// #workflow-versioning). Nothing sends esimDelivered any more; the
// reminder is claimed once in the ledger, so a run's reminder and the
// sweep's never both go out.
func ESIMWorkflow(ctx workflow.Context, in contract.ESIMInput) error {
	w := &esimRun{in: in, callbacks: workflow.GetSignalChannel(ctx, contract.SignalCallback),
		delivered: workflow.GetSignalChannel(ctx, contract.SignalDelivered)}
	for {
		w.drain(ctx)
		if w.reminderDue(ctx) {
			w.remind(ctx)
			continue
		}
		if w.pending() {
			continue
		}
		if w.handled >= esimSignalsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return workflow.NewContinueAsNewError(ctx, ESIMWorkflow, w.in)
		}
		if w.in.RemindAt.IsZero() || w.in.Reminded {
			// Nothing left: close. A signal arriving meanwhile fails this
			// completion on the server, and the run reads it first.
			return nil
		}
		w.showDetails(ctx)
		w.waitUntil(ctx, w.in.RemindAt)
	}
}

// esimSignalsPerRun bounds one run's history (an eSIM gets a handful of
// callbacks per bundle).
const esimSignalsPerRun = 200

type esimRun struct {
	in                   contract.ESIMInput
	callbacks, delivered workflow.ReceiveChannel
	handled              int
}

func (w *esimRun) pending() bool { return w.callbacks.Len() > 0 || w.delivered.Len() > 0 }

// drain handles every signal received so far, callbacks in arrival order.
func (w *esimRun) drain(ctx workflow.Context) {
	for {
		var d contract.DeliveredSignal
		if !w.delivered.ReceiveAsync(&d) {
			break
		}
		w.handled++
		if w.in.RemindAt.IsZero() && !w.in.Reminded {
			w.in.RemindAt = d.RemindAt
		}
	}
	for {
		var c contract.CallbackSignal
		if !w.callbacks.ReceiveAsync(&c) {
			return
		}
		w.handled++
		var outcome string
		err := workflow.ExecuteActivity(withCallback(ctx), a.HandleESIMCallback, c.Hash).Get(ctx, &outcome)
		if err != nil {
			// Retried for a day; it stays unprocessed in the inbox for operators.
			workflow.GetLogger(ctx).Error("esim go callback not handled", "hash", c.Hash, "iccid", w.in.ICCID, "err", err)
		}
	}
}

func (w *esimRun) reminderDue(ctx workflow.Context) bool {
	return !w.in.Reminded && !w.in.RemindAt.IsZero() && !workflow.Now(ctx).Before(w.in.RemindAt)
}

// remind sends the install reminder if the eSIM is still not installed;
// the activity decides and claims it once in the ledger.
func (w *esimRun) remind(ctx workflow.Context) {
	w.in.Reminded = true
	var outcome string
	if err := workflow.ExecuteActivity(withReminder(ctx), a.RemindInstall, w.in.ICCID).Get(ctx, &outcome); err != nil {
		workflow.GetLogger(ctx).Warn("install reminder not sent", "iccid", w.in.ICCID, "err", err)
	}
}

// waitUntil sleeps until t or the next signal, cancelling its timer when a
// signal wins so no stray timer outlives the wait.
func (w *esimRun) waitUntil(ctx workflow.Context, t time.Time) {
	tctx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(tctx, t.Sub(workflow.Now(ctx)))
	await(ctx, func() bool { return w.pending() || timer.IsReady() })
	cancel()
}

func (w *esimRun) showDetails(ctx workflow.Context) {
	d := fmt.Sprintf("**eSIM `%s`** · %d signal(s) this run", w.in.ICCID, w.handled)
	if !w.in.RemindAt.IsZero() && !w.in.Reminded {
		d += " · install reminder due " + w.in.RemindAt.UTC().Format(time.RFC3339)
	}
	workflow.SetCurrentDetails(ctx, d)
}

// withCallback: handling a callback touches PostgreSQL and may message the
// buyer; it retries for a day, then gives up (the body stays in the inbox).
func withCallback(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
		},
	})
}

// withReminder: the reminder reads eSIM Go and messages the buyer; an hour
// of retries is plenty for a courtesy.
func withReminder(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypeBotBlocked, contract.ErrTypePermanentTG},
		},
	})
}
