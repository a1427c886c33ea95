package devserver

// TunedArgs make the dev server fast enough to judge the store's own
// latency on it (the sandbox and `esimstore bench` pass them):
//
//   - eager activity execution: the server hands a workflow's next
//     activity back in the answer to the workflow task that scheduled it,
//     instead of through a task-queue poll — one round trip less per
//     activity on the payment path. The server's default is off; a
//     production cluster needs the same dynamic config key.
//   - SQLite WAL with synchronous=NORMAL: a file-backed dev server
//     (`make run` keeps one in .run/) otherwise fsyncs every history write
//     through the rollback journal, which caps it at a few workflows per
//     second. NORMAL can lose the last transactions on power loss, not on
//     a process crash — fine for a dev server, never for production.
var TunedArgs = []string{
	"--dynamic-config-value", "system.enableActivityEagerExecution=true",
	"--sqlite-pragma", "journal_mode=wal",
	"--sqlite-pragma", "synchronous=normal",
}

// TunedEnv gives the dev server's Go runtime room to breathe. Under load a
// third of its CPU went to the garbage collector and to growing goroutine
// stacks (perf, docs/performance.md):
//
//   - GOGC=400 collects four times less often, for a few hundred MB more
//     memory, which a development machine has;
//   - adaptivestackstart starts new goroutines (one per gRPC call) with the
//     stack size they usually end up needing instead of copying it up.
var TunedEnv = []string{"GOGC=400", "GODEBUG=adaptivestackstart=1"}
