package app

import (
	"context"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/support"
)

// connectSupport builds the support chat and its alerts from the
// configuration. Without SUPPORT_CHAT_ID both exist but only log and tell
// buyers where to write.
func (a *App) connectSupport() {
	links := alerts.Links{TemporalUI: a.Cfg.TemporalUIURL, Namespace: a.Cfg.TemporalNamespace}
	log := a.Logger.With("component", "support")
	a.Alerts = &alerts.Alerter{Store: a.Store, Bot: a.Bot, ChatID: a.Cfg.SupportChatID, Enabled: a.Cfg.Alerts,
		PerHour: a.Cfg.AlertsPerHour, Links: links, Logger: log}
	a.Desk = &support.Desk{Store: a.Store, Bot: a.Bot, Refunds: a.Orders,
		Relay:  &support.Relay{Temporal: a.Temporal, TaskQueue: a.Cfg.TemporalTaskQueue, BotID: a.Bot.ID()},
		ChatID: a.Cfg.SupportChatID, Staff: a.Cfg.SupportStaffIDs, Contact: a.Cfg.SupportContact, Links: links,
		Finance: a.Finance(), Logger: log}
}

// helpLink is the Mini App's "Help with this order" link, when there is a
// support chat.
func (a *App) helpLink() func(ctx context.Context, orderID string) string {
	if !a.Desk.Enabled() {
		return nil
	}
	return a.Desk.HelpLink
}

// registerSupport adds the support relay's workflow and activity to a worker.
func (a *App) registerSupport(w worker.Registry) {
	w.RegisterWorkflowWithOptions(support.RelayWorkflow, workflow.RegisterOptions{Name: support.RelayWorkflowType})
	w.RegisterActivity(&support.RelayActivities{Desk: a.Desk})
}
