//go:build dev

package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/internal/dev/sandbox"
	"github.com/starsesim/esimstore/internal/dev/sim"
)

func runSandbox(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	port := fs.Int("temporal-port", 7233, "Temporal dev server frontend port")
	uiPort := fs.Int("temporal-ui-port", 8233, "Temporal Web UI port")
	headless := fs.Bool("temporal-headless", false, "run the dev server without its Web UI")
	dbFile := fs.String("temporal-db", ".run/temporal.db", `dev server database file ("" keeps it in memory)`)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.FromEnv(os.Getenv, true)
	if err != nil {
		return err
	}
	logger := newLogger(cfg)
	s, err := sandbox.Start(ctx, sandbox.Options{
		Logger: logger, TemporalPort: *port, TemporalUIPort: *uiPort, TemporalHeadless: *headless,
		TemporalDBFile: *dbFile, Mount: mountSimulator,
	})
	if err != nil {
		return err
	}
	defer s.Stop()
	fmt.Printf("\n  eSIM store sandbox\n")
	fmt.Printf("  Mini App simulator  %s/sim/\n", s.URL)
	fmt.Printf("  Mini App            %s/app/\n", s.URL)
	fmt.Printf("  API                 %s/api/plans\n", s.URL)
	if s.UIURL != "" {
		fmt.Printf("  Temporal Web UI     %s   (payloads decoded by %s/codec)\n", s.UIURL, s.URL)
	}
	fmt.Printf("  support token       Authorization: Bearer %s\n", s.Cfg.AdminTokens[0].Token)
	fmt.Printf("  support CLI         PAYLOAD_KEYS=%s esimstore orders\n", config.SandboxPayloadKeys)
	fmt.Printf("\nsandbox ready: %s\n(Ctrl-C stops everything)\n", s.URL)
	<-ctx.Done()
	fmt.Println("stopping…")
	return nil
}

// mountSimulator adds the Telegram simulator around the Mini App; only the
// sandbox has it.
func mountSimulator(e *echo.Echo, s *sandbox.Sandbox) {
	sim.Register(e, sim.Deps{Telegram: s.Telegram, ESIM: s.ESIM, BotToken: s.Cfg.TelegramBotToken, TemporalUIURL: s.UIURL,
		SupportChatID: s.Cfg.SupportChatID, Staff: s.Cfg.SupportStaffIDs})
}
