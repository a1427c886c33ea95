//go:build dev

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/starsesim/esimstore/internal/dev/cluster"
)

// runCluster is `esimstore cluster` (make cluster): the store in its
// production shape — Temporal server on PostgreSQL, two API processes
// behind a load balancer, two workers — with the fakes, until Ctrl-C.
func runCluster(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	appBin := fs.String("app-binary", "", "esimstore binary for api, worker and migrate (default: this one)")
	base := fs.Int("port-base", 17000, "first of the cluster's ports (frontend base+233, UI base+1233, front door base+1080)")
	name := fs.String("name", "esim_cluster", "database prefix: NAME_store, NAME_temporal, NAME_temporal_visibility")
	fresh := fs.Bool("fresh", false, "drop the databases of an earlier run first")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *appBin == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		*appBin = self
	}
	c, err := cluster.Start(ctx, cluster.Options{Name: *name, PortBase: *base, AppBinary: *appBin, Fresh: *fresh,
		UI: true, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer c.Stop()
	row := func(k, v string) { fmt.Printf("  %-20s %s\n", k, v) }
	var apis, workers []string
	for _, p := range c.APIs() {
		apis = append(apis, "http://"+p.Addr)
	}
	for _, p := range c.Workers() {
		workers = append(workers, "http://"+p.Addr+"/readyz")
	}
	fmt.Printf("\n  eSIM store cluster: Temporal server on PostgreSQL, 2 × esimstore api, 2 × esimstore worker\n")
	row("Mini App simulator", c.URL+"/sim/")
	row("API (balanced)", c.URL+"/api/plans")
	row("api processes", strings.Join(apis, "  "))
	row("worker processes", strings.Join(workers, "  "))
	row("Temporal Web UI", c.UIURL)
	row("Temporal frontend", c.TemporalAddress()+"   (temporal --address "+c.TemporalAddress()+" workflow list)")
	row("databases", c.Opts.Name+"_store, "+strings.Join(c.TemporalDatabases(), ", "))
	row("logs", c.Opts.Dir)
	row("support token", "Authorization: Bearer "+c.AdminToken)
	fmt.Printf("\ncluster ready: %s\n(Ctrl-C stops everything)\n", c.URL)
	<-ctx.Done()
	fmt.Println("stopping…")
	return nil
}
