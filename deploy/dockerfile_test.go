package deploy_test

import (
	"os"
	"strings"
	"testing"
)

// The compose file's commands rely on these properties of the image.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		"FROM golang:1.26",
		"CGO_ENABLED=0",
		"-o /usr/local/bin/esimstore ./cmd/esimstore",
		`ENTRYPOINT ["esimstore"]`,
		"EXPOSE 8080",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
