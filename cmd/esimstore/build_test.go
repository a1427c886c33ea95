package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The production binary must not carry the fakes, the simulator (which
// signs initData for anyone) or the dev server launcher: they live under
// internal/dev and in the *test packages, linked only with the dev tag.
func TestProductionBuildLeavesDevToolsOut(t *testing.T) {
	for _, tc := range []struct {
		tags    string
		wantDev bool
	}{{"", false}, {"dev", true}} {
		out, err := exec.Command("go", "list", "-tags", tc.tags, "-deps", ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go list -tags %q: %v\n%s", tc.tags, err, out)
		}
		var dev []string
		for _, pkg := range strings.Fields(string(out)) {
			own := strings.HasPrefix(pkg, "github.com/starsesim/esimstore/")
			if own && (strings.Contains(pkg, "/internal/dev/") || strings.HasSuffix(pkg, "test")) {
				dev = append(dev, pkg)
			}
		}
		if got := len(dev) > 0; got != tc.wantDev {
			t.Errorf("tags %q: development packages linked = %v, want linked: %v", tc.tags, dev, tc.wantDev)
		}
	}
}
