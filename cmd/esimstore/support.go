package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
)

// supportEnv connects what the support commands need: the ledger and
// Temporal. They never call Telegram or eSIM Go themselves (the workflow
// does), so those secrets are not required on a support machine.
func supportEnv(ctx context.Context) (*store.Store, *checkout.Service, func(), error) {
	cfg, err := config.FromEnv(os.Getenv, true)
	if err != nil {
		return nil, nil, nil, err
	}
	// Sandbox defaults are fine for the other secrets, which these commands
	// never use, but not for the payload keys: a refund update encrypted with
	// the public sandbox key is one the real worker cannot read.
	if os.Getenv("PAYLOAD_KEYS") == "" {
		return nil, nil, nil, &config.Error{Missing: []string{"PAYLOAD_KEYS"}}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	tc, err := app.DialTemporal(cfg, logger, nil)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	// Support acts on existing orders only, so the service derives no order
	// ids and needs no BotID (and no bot token).
	svc := &checkout.Service{Temporal: tc, Store: st, TaskQueue: cfg.TemporalTaskQueue, InvoiceTTL: cfg.InvoiceTTL,
		FulfilmentDeadline: cfg.FulfilmentDeadline, SupportWindow: cfg.SupportWindow, Logger: logger}
	return st, svc, func() { tc.Close(); st.Close() }, nil
}

// splitArgs lets flags come after the positional order id, as people type
// `esimstore refund <id> --reason "…"`.
func splitArgs(args []string) (positional []string, flags []string) {
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") {
			flags = append(flags, args[i])
			if !strings.Contains(args[i], "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		positional = append(positional, args[i])
	}
	return positional, flags
}

func runRefund(ctx context.Context, args []string) error {
	pos, rest := splitArgs(args)
	fs := flag.NewFlagSet("refund", flag.ContinueOnError)
	reason := fs.String("reason", "", "why the order is refunded (required)")
	by := fs.String("by", os.Getenv("USER"), "who asks for the refund (recorded)")
	if err := fs.Parse(rest); err != nil || len(pos) != 1 || strings.TrimSpace(*reason) == "" || *by == "" {
		fmt.Fprintln(os.Stderr, `usage: esimstore refund <order-id> --reason "…" [--by name]`)
		return errUsage
	}
	_, svc, done, err := supportEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	switch err := svc.Refund(ctx, pos[0], *reason, "cli:"+*by); {
	case errors.Is(err, checkout.ErrOrderNotFound):
		return fmt.Errorf("order %s not found", pos[0])
	case errors.Is(err, checkout.ErrAlreadyRefunded):
		return fmt.Errorf("order %s is already refunded", pos[0])
	case errors.Is(err, checkout.ErrSubscriptionRefund):
		return fmt.Errorf("%s is a subscription: cancel it instead (failed renewals are refunded automatically)", pos[0])
	case errors.Is(err, checkout.ErrNotPaid):
		return fmt.Errorf("order %s is not paid; nothing to refund", pos[0])
	case err != nil:
		return err
	}
	fmt.Printf("refund of order %s accepted; follow it with: esimstore order %s\n", pos[0], pos[0])
	return nil
}

func runOrders(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	status := fs.String("status", "", "only orders in this status")
	user := fs.Int64("user", 0, "only this Telegram user id")
	plan := fs.String("plan", "", "only this plan id")
	limit := fs.Int("limit", 50, "at most this many orders")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *status != "" && !contract.Status(*status).Valid() {
		return fmt.Errorf("unknown status %q", *status)
	}
	st, _, done, err := supportEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	list, err := st.ListOrders(ctx, store.OrderFilter{Status: contract.Status(*status), UserID: *user, PlanID: *plan, Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	if _, err := fmt.Fprintln(tw, "ORDER\tSTATUS\tUSER\tPLAN\tSTARS\tCREATED"); err != nil {
		return err
	}
	for _, o := range list {
		if _, err := fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", o.ID, o.Status, o.UserID, o.PlanID, o.PriceStars,
			o.CreatedAt.Format("2006-01-02 15:04:05")); err != nil {
			return err
		}
	}
	return tw.Flush()
}

func runOrder(ctx context.Context, args []string) error {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: esimstore order <order-id>")
		return errUsage
	}
	st, _, done, err := supportEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	d, err := st.OrderDetail(ctx, args[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("order %s not found", args[0])
	}
	if err != nil {
		return err
	}
	events, err := st.Events(ctx, args[0])
	if err != nil {
		return err
	}
	o := d.Order
	fmt.Printf("order    %s\nstatus   %s\nbuyer    %d\nplan     %s (%s)\nprice    %d Stars (%s USD)\ncreated  %s\n",
		o.ID, o.Status, o.UserID, o.PlanID, o.PlanName, o.PriceStars, o.PriceUSD.StringFixed(2), o.CreatedAt.Format("2006-01-02 15:04:05"))
	if o.LastError != "" {
		fmt.Printf("error    %s\n", o.LastError)
	}
	for _, p := range d.Payments {
		fmt.Printf("payment  %s  %d %s  %s\n", p.ChargeID, p.TotalAmount, p.Currency, p.ReceivedAt.Format("2006-01-02 15:04:05"))
	}
	for _, e := range d.ESIMs {
		fmt.Printf("esim     %s  ICCID %s  bundle %s\n", e.Reference, e.ICCID, e.Bundle)
	}
	for _, r := range d.Refunds {
		fmt.Printf("refund   %s  %d Stars  %s  by %s: %s\n", r.ChargeID, r.Stars, r.Status, r.RequestedBy, r.Reason)
	}
	fmt.Println("\ntimeline")
	tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	for _, e := range events {
		if _, err := fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.CreatedAt.Format("2006-01-02 15:04:05.000"), e.Kind, e.Actor,
			string(e.Detail)); err != nil {
			return err
		}
	}
	return tw.Flush()
}
