package devserver

import (
	"sort"
	"strings"
	"sync"
)

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quietLogger keeps the readiness probe's dial failures out of the output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// tailBuffer keeps the first headMax and the last max bytes written to it:
// a crash prints its cause first and its stack after.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	headMax int
	head    []byte
	buf     []byte
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rest := p
	if room := t.headMax - len(t.head); room > 0 {
		n := min(room, len(rest))
		t.head = append(t.head, rest[:n]...)
		rest = rest[n:]
	}
	t.buf = append(t.buf, rest...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
		t.dropped = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.dropped {
		sep = "\n…\n"
	}
	return strings.TrimSpace(string(t.head) + sep + string(t.buf))
}
