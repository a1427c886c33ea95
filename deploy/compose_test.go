package deploy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
)

const composePath = "../docker-compose.yml"

// contractEnv is docs/architecture.md#configuration-contract: every one must reach api and worker.
var contractEnv = []string{
	"HTTP_ADDR", "PUBLIC_URL", "DATABASE_URL",
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE",
	"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "TELEGRAM_WEBHOOK_SECRET",
	"ESIMGO_API_KEY", "ESIMGO_API_URL", "ESIMGO_RATE_LIMIT",
	"STARS_USD_RATE", "PRICE_MARKUP_PERCENT", "INVOICE_TTL", "ADMIN_TOKENS", "INITDATA_MAX_AGE",
	"PAYLOAD_KEYS", "CODEC_CORS_ORIGINS",
	"SUPPORT_CHAT_ID", "SUPPORT_STAFF_IDS",
}

// secrets must come from the operator, and compose must refuse to start
// without them rather than run with an empty value.
var secrets = []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ESIMGO_API_KEY", "ADMIN_TOKENS", "PAYLOAD_KEYS"}

// appServices run the store's image.
var appServices = []string{"migrate", "api", "worker"}

type composeFile struct {
	Services map[string]service `yaml:"services"`
}

type service struct {
	Image       string    `yaml:"image"`
	Build       any       `yaml:"build"`
	Command     stringish `yaml:"command"`
	Entrypoint  stringish `yaml:"entrypoint"`
	Environment envMap    `yaml:"environment"`
	Ports       []port    `yaml:"ports"`
	DependsOn   deps      `yaml:"depends_on"`
}

// stringish is a command in either compose form, joined into one string.
type stringish string

func (s *stringish) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = stringish(n.Value)
		return nil
	}
	var parts []string
	if err := n.Decode(&parts); err != nil {
		return err
	}
	*s = stringish(strings.Join(parts, " "))
	return nil
}

// envMap accepts both the mapping and the KEY=VALUE list forms.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	*e = envMap{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		(*e)[k] = v
	}
	return nil
}

// port is a published port in short ("[ip:]published:target") or long form.
type port struct{ Published, Target string }

func (p *port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		parts := strings.Split(n.Value, ":")
		switch len(parts) {
		case 1:
			p.Target = parts[0]
		default:
			p.Published, p.Target = parts[len(parts)-2], parts[len(parts)-1]
		}
		return nil
	}
	var long struct {
		Published any `yaml:"published"`
		Target    any `yaml:"target"`
	}
	if err := n.Decode(&long); err != nil {
		return err
	}
	p.Published, p.Target = fmt.Sprint(long.Published), fmt.Sprint(long.Target)
	return nil
}

// deps maps a dependency to its condition, from either compose form.
type deps map[string]string

func (d *deps) UnmarshalYAML(n *yaml.Node) error {
	*d = deps{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, s := range list {
			(*d)[s] = "service_started"
		}
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		(*d)[k] = v.Condition
	}
	return nil
}

func load(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse %s: %v", composePath, err)
	}
	return f
}

func svc(t *testing.T, f composeFile, name string) service {
	t.Helper()
	s, ok := f.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

func TestServicesExist(t *testing.T) {
	f := load(t)
	for _, name := range []string{
		"postgresql", "temporal-admin-tools", "temporal", "temporal-create-namespace",
		"temporal-ui", "migrate", "api", "worker",
	} {
		svc(t, f, name)
	}
}

func TestPublishedPorts(t *testing.T) {
	f := load(t)
	tests := []struct{ service, published, target string }{
		{"api", "8080", "8080"},
		{"temporal-ui", "8233", "8080"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			for _, p := range svc(t, f, tt.service).Ports {
				if p.Published == tt.published && p.Target == tt.target {
					return
				}
			}
			t.Errorf("%s does not publish %s -> %s", tt.service, tt.published, tt.target)
		})
	}
}

func TestAppServices(t *testing.T) {
	f := load(t)
	for _, name := range appServices {
		t.Run(name, func(t *testing.T) {
			s := svc(t, f, name)
			if s.Build == nil {
				t.Errorf("%s is not built from the Dockerfile", name)
			}
			if string(s.Command) != name {
				t.Errorf("%s runs %q, want the %q subcommand", name, s.Command, name)
			}
		})
	}
	if a, w := svc(t, f, "api").Image, svc(t, f, "worker").Image; a == "" || a != w {
		t.Errorf("api (%q) and worker (%q) must run the same image", a, w)
	}
}

func TestAppEnvironment(t *testing.T) {
	f := load(t)
	known := knownEnv(t)
	for _, name := range appServices {
		t.Run(name, func(t *testing.T) {
			env := svc(t, f, name).Environment
			if name != "migrate" {
				for _, k := range contractEnv {
					if _, ok := env[k]; !ok {
						t.Errorf("%s does not set %s", name, k)
					}
				}
			}
			// A variable config.FromEnv never reads is a typo that silently
			// leaves the default in place.
			for k := range env {
				if !known[k] {
					t.Errorf("%s sets %s, which config.FromEnv does not read", name, k)
				}
			}
			for _, k := range secrets {
				if want := "${" + k + ":?"; !strings.HasPrefix(env[k], want) {
					t.Errorf("%s: %s = %q, want it required from the environment (%s…})", name, k, env[k], want)
				}
			}
			wantExact := map[string]string{
				"TEMPORAL_ADDRESS":    "temporal:7233",
				"TEMPORAL_NAMESPACE":  "default",
				"TEMPORAL_TASK_QUEUE": contract.TaskQueue,
			}
			for k, want := range wantExact {
				if env[k] != want {
					t.Errorf("%s: %s = %q, want %q", name, k, env[k], want)
				}
			}
			if !strings.Contains(env["DATABASE_URL"], "@postgresql:5432/") {
				t.Errorf("%s: DATABASE_URL %q does not point at the postgresql service", name, env["DATABASE_URL"])
			}
		})
	}
}

// knownEnv asks config.FromEnv itself which variables it reads, in both
// modes, instead of keeping a second list that could drift.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	record := func(name string) string { known[name] = true; return "" }
	for _, sandbox := range []bool{false, true} {
		_, _ = config.FromEnv(record, sandbox) // errors expected: nothing is set
	}
	if len(known) < len(contractEnv) {
		t.Fatalf("config.FromEnv read only %d variables: %v", len(known), known)
	}
	return known
}

func TestNoDeprecatedAutoSetup(t *testing.T) {
	f := load(t)
	for name, s := range f.Services {
		if strings.Contains(s.Image, "temporalio/auto-setup") {
			t.Errorf("%s uses the deprecated %s; use temporalio/server with a schema job", name, s.Image)
		}
		if s.Build == nil && (s.Image == "" || !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("%s image %q is not pinned to a version", name, s.Image)
		}
	}
}

func TestTemporalSetupOrder(t *testing.T) {
	f := load(t)
	tests := []struct {
		service, dependsOn, condition string
	}{
		{"temporal-admin-tools", "postgresql", "service_healthy"},
		{"temporal", "temporal-admin-tools", "service_completed_successfully"},
		{"temporal-create-namespace", "temporal", "service_healthy"},
		{"temporal-ui", "temporal", "service_healthy"},
		{"migrate", "postgresql", "service_healthy"},
		{"api", "migrate", "service_completed_successfully"},
		{"api", "temporal-create-namespace", "service_completed_successfully"},
		{"worker", "migrate", "service_completed_successfully"},
		{"worker", "temporal-create-namespace", "service_completed_successfully"},
	}
	for _, tt := range tests {
		t.Run(tt.service+"→"+tt.dependsOn, func(t *testing.T) {
			if got := svc(t, f, tt.service).DependsOn[tt.dependsOn]; got != tt.condition {
				t.Errorf("%s depends on %s with %q, want %q", tt.service, tt.dependsOn, got, tt.condition)
			}
		})
	}

	schema := string(svc(t, f, "temporal-admin-tools").Command)
	for _, want := range []string{
		"temporal-sql-tool", "--plugin postgres12", "temporal_visibility",
		"setup-schema", "postgresql/v12/temporal/versioned", "postgresql/v12/visibility/versioned",
	} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema job lacks %q", want)
		}
	}
	if db := svc(t, f, "temporal").Environment["DB"]; db != "postgres12" {
		t.Errorf("temporal DB = %q, want postgres12", db)
	}
	if addr := svc(t, f, "temporal-ui").Environment["TEMPORAL_ADDRESS"]; addr != "temporal:7233" {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q", addr)
	}
}

var saPair = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9_]*)=(Keyword|Int|Text|Double|Bool|Datetime|KeywordList)\b`)

func TestSearchAttributesRegistered(t *testing.T) {
	f := load(t)
	cmd := string(svc(t, f, "temporal-create-namespace").Command)
	for _, want := range []string{"operator namespace create", "operator search-attribute create"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("namespace job lacks %q", want)
		}
	}
	got := map[string]string{}
	for _, m := range saPair.FindAllStringSubmatch(cmd, -1) {
		got[m[1]] = m[2]
	}
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(contract.SearchAttributeTypes)) {
		t.Errorf("registered search attributes %v, want contract.SearchAttributeTypes %v", got, contract.SearchAttributeTypes)
	}
}

func sorted(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// TestDockerComposeConfig lets Compose itself validate the file when it is
// installed; the parse checks above run either way.
func TestDockerComposeConfig(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Log("no docker binary; docker compose config not run")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, docker, "compose", "version").CombinedOutput(); err != nil {
		t.Logf("docker compose is not usable (%v: %s); docker compose config not run", err, bytes.TrimSpace(out))
		return
	}
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, docker, "compose", "-f", filepath.Join(dir, "docker-compose.yml"), "config", "--quiet")
		cmd.Dir = t.TempDir() // keep a developer's .env out of it
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		return cmd.CombinedOutput()
	}
	full := map[string]string{
		"PUBLIC_URL": "https://shop.example.com", "POSTGRES_PASSWORD": "pw",
		"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s", "ESIMGO_API_KEY": "k", "ADMIN_TOKENS": "a:01234567",
		"PAYLOAD_KEYS": "k1:c2FuZGJveC1wYXlsb2FkLWtleS9wdWJsaWMtbmV2ZXI=",
	}
	if out, err := run(full); err != nil {
		t.Errorf("docker compose config: %v\n%s", err, out)
	}
	for _, k := range secrets {
		partial := map[string]string{}
		for kk, v := range full {
			if kk != k {
				partial[kk] = v
			}
		}
		if _, err := run(partial); err == nil {
			t.Errorf("docker compose config accepted a missing %s", k)
		}
	}
}
