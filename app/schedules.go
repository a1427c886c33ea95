package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/workflows"
)

// PlanSyncScheduleID names the schedule operators see in the Web UI.
const PlanSyncScheduleID = "plan-sync"

// EnsurePlanSchedule creates the catalogue sync schedule, or updates its
// interval when it exists, so every start-up converges on the configuration.
func (a *App) EnsurePlanSchedule(ctx context.Context) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: a.Cfg.PlanSyncInterval}}}
	_, err := a.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   PlanSyncScheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID: "plan-sync", Workflow: workflows.PlanSyncWorkflowType, TaskQueue: a.Cfg.TemporalTaskQueue,
			WorkflowRunTimeout: 10 * time.Minute,
		},
		Note: "Copies the eSIM Go catalogue into the plan table with the store's prices.",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return a.updatePlanSchedule(ctx, spec)
	}
	if err != nil {
		return fmt.Errorf("create plan sync schedule: %w", err)
	}
	return nil
}

func (a *App) updatePlanSchedule(ctx context.Context, spec client.ScheduleSpec) error {
	h := a.Temporal.ScheduleClient().GetHandle(ctx, PlanSyncScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		in.Description.Schedule.Spec = &spec
		return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
	}})
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
