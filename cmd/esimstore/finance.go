package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// runFinance prints the Stars finance report (the same as GET
// /admin/finance). It reads the ledger; the Star balance needs
// TELEGRAM_BOT_TOKEN and the eSIM Go balance ESIMGO_API_KEY, and without
// them the report says it did not ask.
func runFinance(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("finance", flag.ContinueOnError)
	from := fs.String("from", "", "first day, YYYY-MM-DD in UTC (default: 29 days before --to)")
	to := fs.String("to", "", "last day, YYYY-MM-DD in UTC (default: today)")
	asJSON := fs.Bool("json", false, "print the API's JSON instead of text")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: esimstore finance [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]")
		return errUsage
	}
	p, err := finance.ParsePeriod(*from, *to, time.Now())
	if pe, ok := finance.ErrPeriod(err); ok {
		fmt.Fprintln(os.Stderr, pe.Message)
		return errUsage
	}
	// Sandbox defaults stand in for secrets the report does not need; the
	// two it can use are taken only when really set.
	cfg, err := config.FromEnv(os.Getenv, true)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	rep := &finance.Reporter{Ledger: st, StarsUSDRate: cfg.StarsUSDRate}
	client := &http.Client{Timeout: 10 * time.Second}
	if os.Getenv("TELEGRAM_BOT_TOKEN") != "" {
		if rep.Telegram, err = telegram.NewBot(telegram.Config{Token: cfg.TelegramBotToken, APIURL: cfg.TelegramAPIURL, HTTPClient: client}); err != nil {
			return err
		}
	}
	if os.Getenv("ESIMGO_API_KEY") != "" {
		if rep.ESIM, err = esimgo.New(esimgo.Config{BaseURL: cfg.ESIMGoAPIURL, APIKey: cfg.ESIMGoAPIKey, HTTPClient: client}); err != nil {
			return err
		}
	}
	r, err := rep.Report(ctx, p)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	_, err = io.WriteString(os.Stdout, finance.Text(r))
	return err
}
