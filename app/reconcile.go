package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/reconcile"
)

// ReconcileScheduleID names the reconciliation schedule. Each bot has its
// own Star ledger, so the id carries the bot id: stores of different bots
// sharing a namespace never fight over one schedule.
func (a *App) ReconcileScheduleID() string { return fmt.Sprintf("reconcile-stars-%d", a.Bot.ID()) }

// ReconcileActivities is what the worker registers for reconciliation.
func (a *App) ReconcileActivities() *reconcile.Activities {
	return &reconcile.Activities{Store: a.Store, Ledger: a.Bot, Orders: a.Orders, BotID: a.Bot.ID(),
		Metrics: a.Metrics, Alerts: a.Alerts, Logger: a.Logger.With("component", "reconcile")}
}

func (a *App) reconcileAction() *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID: a.ReconcileScheduleID(), Workflow: reconcile.WorkflowType, TaskQueue: a.Cfg.TemporalTaskQueue,
		WorkflowRunTimeout: 30 * time.Minute,
	}
}

// EnsureReconcileSchedule creates the reconciliation schedule, or brings
// an existing one in line with the configuration (interval and task queue).
// A run still going when the next is due makes the next one skip.
func (a *App) EnsureReconcileSchedule(ctx context.Context) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: a.Cfg.ReconcileInterval}}}
	_, err := a.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: a.ReconcileScheduleID(), Spec: spec, Action: a.reconcileAction(),
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "Compares Telegram's Star ledger with payments and refunds; recovers missed payments.",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := a.Temporal.ScheduleClient().GetHandle(ctx, a.ReconcileScheduleID())
		return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			in.Description.Schedule.Action = a.reconcileAction()
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("create reconcile schedule: %w", err)
	}
	return nil
}

// ReconcileNow runs one reconciliation pass and waits for it (tests, and
// operators who do not want to wait for the schedule).
func (a *App) ReconcileNow(ctx context.Context) (reconcile.Result, error) {
	run, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("%s-manual-%d", a.ReconcileScheduleID(), time.Now().UnixNano()), TaskQueue: a.Cfg.TemporalTaskQueue,
		WorkflowRunTimeout: 30 * time.Minute,
	}, reconcile.WorkflowType)
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("start reconciliation: %w", err)
	}
	var res reconcile.Result
	if err := run.Get(ctx, &res); err != nil {
		return reconcile.Result{}, fmt.Errorf("reconciliation: %w", err)
	}
	return res, nil
}

// registerReconcile adds reconciliation's workflow and activity to a worker.
func (a *App) registerReconcile(w worker.Registry) {
	w.RegisterWorkflowWithOptions(reconcile.Workflow, workflow.RegisterOptions{Name: reconcile.WorkflowType})
	w.RegisterActivity(a.ReconcileActivities())
}
