package app

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
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

func (a *App) reconcileSchedule() storeSchedule {
	return storeSchedule{id: a.ReconcileScheduleID(), every: a.Cfg.ReconcileInterval,
		action: &client.ScheduleWorkflowAction{
			ID: a.ReconcileScheduleID(), Workflow: reconcile.WorkflowType, TaskQueue: a.Cfg.TemporalTaskQueue,
			WorkflowRunTimeout: 30 * time.Minute,
		},
		note: "Compares Telegram's Star ledger with payments and refunds; recovers missed payments."}
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
