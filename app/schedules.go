package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/workflows"
)

// The store's periodic work runs as Temporal Schedules, so operators see
// every run (and its failures) in the Web UI, and can pause or trigger one.

// PlanSyncScheduleID names the schedule operators see in the Web UI.
const PlanSyncScheduleID = "plan-sync"

// EnsureSchedules creates the store's schedules, or brings existing ones in
// line with the configuration, so every start-up converges on it.
func (a *App) EnsureSchedules(ctx context.Context) error {
	for _, s := range []storeSchedule{a.planSyncSchedule(), a.reconcileSchedule(), a.installReminderSchedule()} {
		if err := a.ensureSchedule(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

type storeSchedule struct {
	id     string
	every  time.Duration
	action *client.ScheduleWorkflowAction
	note   string
}

func (a *App) planSyncSchedule() storeSchedule {
	return storeSchedule{id: PlanSyncScheduleID, every: a.Cfg.PlanSyncInterval,
		action: &client.ScheduleWorkflowAction{
			ID: "plan-sync", Workflow: workflows.PlanSyncWorkflowType, TaskQueue: a.Cfg.TemporalTaskQueue,
			WorkflowRunTimeout: 10 * time.Minute,
		},
		note: "Copies the eSIM Go catalogue into the plan table with the store's prices."}
}

// InstallReminderScheduleID names the install-reminder schedule. Like
// reconciliation's, it carries the bot id: the reminders go out through
// this bot to buyers in this store's ledger.
func (a *App) InstallReminderScheduleID() string {
	return fmt.Sprintf("install-reminders-%d", a.Bot.ID())
}

func (a *App) installReminderSchedule() storeSchedule {
	return storeSchedule{id: a.InstallReminderScheduleID(), every: a.Cfg.InstallReminderSweep,
		action: &client.ScheduleWorkflowAction{
			ID: a.InstallReminderScheduleID(), Workflow: workflows.InstallRemindersWorkflowType,
			TaskQueue: a.Cfg.TemporalTaskQueue, WorkflowRunTimeout: 30 * time.Minute,
		},
		note: "Reminds buyers of eSIMs delivered INSTALL_REMINDER_AFTER ago and still not installed (once per eSIM)."}
}

// ensureSchedule creates s, or updates its interval and action when it
// exists. A run still going when the next is due makes the next one skip.
func (a *App) ensureSchedule(ctx context.Context, s storeSchedule) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.every}}}
	_, err := a.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: s.id, Spec: spec, Action: s.action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, Note: s.note,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := a.Temporal.ScheduleClient().GetHandle(ctx, s.id)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			in.Description.Schedule.Action = s.action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("ensure schedule %s: %w", s.id, err)
	}
	return nil
}

// SyncPlansNow runs one catalogue sync and waits for it, so a fresh store
// has plans before it serves its first buyer.
func (a *App) SyncPlansNow(ctx context.Context) (activities.SyncResult, error) {
	run, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("plan-sync-startup-%d", time.Now().UnixNano()), TaskQueue: a.Cfg.TemporalTaskQueue,
		WorkflowRunTimeout: 5 * time.Minute,
	}, workflows.PlanSyncWorkflowType)
	if err != nil {
		return activities.SyncResult{}, fmt.Errorf("start plan sync: %w", err)
	}
	var res activities.SyncResult
	if err := run.Get(ctx, &res); err != nil {
		return activities.SyncResult{}, fmt.Errorf("plan sync: %w", err)
	}
	return res, nil
}
