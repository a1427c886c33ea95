package deploy_test

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/cluster"
	"github.com/starsesim/esimstore/internal/dev/devserver"
)

// The self-hosted shape (deploy/temporal, scripts/temporal-*.sh, run by
// `make cluster`) and docker-compose.yml must describe the same Temporal
// server: these tests hold the settings that cannot differ.

const (
	dynamicConfigPath = "deploy/temporal/dynamicconfig/esimstore.yaml"
	serverConfigPath  = "../deploy/temporal/config/esimstore.yaml"
	namespaceScript   = "../scripts/temporal-namespace.sh"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestComposeMountsTheSharedDynamicConfig(t *testing.T) {
	var f struct {
		Services map[string]struct {
			Environment envMap `yaml:"environment"`
			Configs     []struct {
				Source string `yaml:"source"`
				Target string `yaml:"target"`
			} `yaml:"configs"`
		} `yaml:"services"`
		Configs map[string]struct {
			File string `yaml:"file"`
		} `yaml:"configs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, composePath)), &f); err != nil {
		t.Fatal(err)
	}
	temporal := f.Services["temporal"]
	want := temporal.Environment["DYNAMIC_CONFIG_FILE_PATH"]
	mounted := false
	for _, c := range temporal.Configs {
		if c.Target == want && strings.TrimPrefix(f.Configs[c.Source].File, "./") == dynamicConfigPath {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("the temporal service does not mount %s at DYNAMIC_CONFIG_FILE_PATH (%q)", dynamicConfigPath, want)
	}
}

// The dev server every test runs on is tuned with dynamic config values
// that production needs too; the shared file must carry each of them.
func TestDynamicConfigHasTheTestedValues(t *testing.T) {
	var dc map[string][]struct {
		Value any `yaml:"value"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "../"+dynamicConfigPath)), &dc); err != nil {
		t.Fatal(err)
	}
	args := devserver.TunedArgs
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "--dynamic-config-value" {
			continue
		}
		key, value, _ := strings.Cut(args[i+1], "=")
		if vals := dc[key]; len(vals) != 1 || fmt.Sprint(vals[0].Value) != value {
			t.Errorf("%s: %s = %v, want %s as the dev server runs it", dynamicConfigPath, key, vals, value)
		}
	}
}

// Every Temporal setting the compose file passes to its server is read,
// under the same name, by the self-hosted config.
func TestServerConfigReadsComposeSettings(t *testing.T) {
	f := load(t)
	cfg := readFile(t, serverConfigPath)
	for k, v := range svc(t, f, "temporal").Environment {
		if k == "DB" { // the self-hosted config is PostgreSQL only
			if v != "postgres12" {
				t.Errorf("compose DB = %q; deploy/temporal/config covers postgres12 only", v)
			}
			continue
		}
		if !strings.Contains(cfg, `env "`+k+`"`) {
			t.Errorf("%s does not read %s, which docker-compose.yml sets", serverConfigPath, k)
		}
	}
}

var shardDefault = regexp.MustCompile(`env "NUM_HISTORY_SHARDS" \| default "(\d+)"`)

// The shard count is fixed when a cluster is created: the compose file,
// the self-hosted config's default and `make cluster` agree on it.
func TestOneShardCount(t *testing.T) {
	compose := svc(t, load(t), "temporal").Environment["NUM_HISTORY_SHARDS"]
	m := shardDefault.FindStringSubmatch(readFile(t, serverConfigPath))
	if m == nil {
		t.Fatalf("%s has no NUM_HISTORY_SHARDS default", serverConfigPath)
	}
	want := strconv.Itoa(cluster.NumHistoryShards)
	if compose != want || m[1] != want {
		t.Errorf("history shards: compose %s, %s default %s, make cluster %s", compose, serverConfigPath, m[1], want)
	}
}

func TestNamespaceScriptRegistersTheContract(t *testing.T) {
	script := readFile(t, namespaceScript)
	for _, want := range []string{"operator namespace create", "--retention 720h", "operator search-attribute create"} {
		if !strings.Contains(script, want) {
			t.Errorf("%s lacks %q", namespaceScript, want)
		}
	}
	got := map[string]string{}
	for _, m := range saPair.FindAllStringSubmatch(script, -1) {
		got[m[1]] = m[2]
	}
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(contract.SearchAttributeTypes)) {
		t.Errorf("%s registers %v, want contract.SearchAttributeTypes %v", namespaceScript, got, contract.SearchAttributeTypes)
	}
	if !strings.Contains(string(svc(t, load(t), "temporal-create-namespace").Command), "--retention 720h") {
		t.Error("compose's namespace job and the script disagree on the retention")
	}
}

var makeVar = regexp.MustCompile(`(?m)^(TEMPORAL_SERVER_VERSION|TEMPORAL_UI_VERSION) := v(\S+)$`)

// Compose runs the server and UI versions `make cluster-test` tests.
func TestComposeRunsTheTestedVersions(t *testing.T) {
	versions := map[string]string{}
	for _, m := range makeVar.FindAllStringSubmatch(readFile(t, "../Makefile"), -1) {
		versions[m[1]] = m[2]
	}
	f := load(t)
	for _, tc := range []struct{ service, image, version string }{
		{"temporal", "temporalio/server:", versions["TEMPORAL_SERVER_VERSION"]},
		{"temporal-admin-tools", "temporalio/admin-tools:", versions["TEMPORAL_SERVER_VERSION"]},
		{"temporal-ui", "temporalio/ui:", versions["TEMPORAL_UI_VERSION"]},
	} {
		img := svc(t, f, tc.service).Image
		rest, ok := strings.CutPrefix(img, tc.image+tc.version)
		if tc.version == "" || !ok || (rest != "" && rest[0] != '-') {
			t.Errorf("%s runs %q; make cluster tests %s%s", tc.service, img, tc.image, tc.version)
		}
	}
}
