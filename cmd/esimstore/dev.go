//go:build dev

package main

// devCommands are the development tools: they start fakes of Telegram and
// eSIM Go and a Temporal dev server, so they exist only in a `dev` build.
func devCommands() []command {
	return []command{
		{"sandbox", "run the whole store locally with fake Telegram and eSIM Go", runSandbox},
		{"bench", "load test: whole orders through the app, dev server, PostgreSQL and fakes", runBench},
		{"cluster", "the production shape locally: Temporal server on PostgreSQL, 2 api, 2 workers, fakes", runCluster},
	}
}
