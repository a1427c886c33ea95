package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/starsesim/esimstore/internal/dev/bench"
	"github.com/starsesim/esimstore/internal/dev/devserver"
	"github.com/starsesim/esimstore/internal/dev/testenv"
)

// TestSmoke runs the benchmark for a few seconds so it cannot rot. It
// asserts correctness only — every order completed, none lost, every
// field of the report filled — never timings: those depend on the machine
// and are what `make bench` is for.
func TestSmoke(t *testing.T) {
	testenv.Integration(t)
	bin := esimstoreBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, bench.Options{
		AppCommand:  []string{bin, "bench", "--serve-app"},
		Rate:        5,
		Duration:    3 * time.Second,
		WarmUp:      time.Second,
		Drain:       60 * time.Second,
		DatabaseURL: testenv.BaseDatabaseURL(),
		Dir:         t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Orders
	if o.Started == 0 || o.Measured == 0 {
		t.Fatalf("no load was generated: %+v", o)
	}
	if o.Lost != 0 || o.Failed != 0 || o.Completed != o.Started || o.DuplicateQR != 0 || o.StrayQR != 0 {
		t.Fatalf("orders: %+v", o)
	}
	for name, l := range map[string]bench.Latency{
		"create": rep.CreateOrder, "pre-checkout": rep.PreCheckout, "delivery": rep.Delivery,
		"ack pre-checkout": rep.WebhookAckPC, "ack payment": rep.WebhookAckPaid, "total": rep.OrderTotal,
	} {
		if l.N != o.Measured || l.P50 <= 0 || l.P99 < l.P50 || l.Max < l.P99 {
			t.Errorf("%s latency incomplete: %+v (measured orders %d)", name, l, o.Measured)
		}
	}
	if rep.ThroughputPerSec <= 0 {
		t.Errorf("throughput %v", rep.ThroughputPerSec)
	}
	if !slices.Equal(rep.Load.TemporalEnv, devserver.TunedEnv) || !slices.Equal(rep.Load.TemporalArgs, devserver.TunedArgs) {
		t.Errorf("report says the dev server ran with args %v, env %v; want the tuned ones", rep.Load.TemporalArgs, rep.Load.TemporalEnv)
	}
	for name, p := range map[string]*bench.ProcStats{"app": rep.App, "temporal": rep.Temporal, "load gen": rep.LoadGen} {
		if p == nil || p.PeakRSSMB <= 0 || p.CPUSeconds < 0 {
			t.Errorf("%s process stats missing: %+v", name, p)
		}
	}

	// The JSON round-trips, and comparing a report with itself gives ratios.
	path := filepath.Join(t.TempDir(), "r.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	back, err := bench.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rep)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("JSON does not round-trip:\n%s\n%s", a, b)
	}
	bench.Compare(testWriter{t}, rep, back)
	rep.Print(testWriter{t})
}

// esimstoreBinary builds the app under test: the benchmark runs it as a
// child so its CPU and memory are its own. ESIMSTORE_BIN skips the build.
func esimstoreBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ESIMSTORE_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "esimstore")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-tags", "dev", "-o", bin, "../../../cmd/esimstore")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build esimstore: %v\n%s", err, out)
	}
	return bin
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
