package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, which Linux fixes at 100 on every architecture
// Go supports; /proc/<pid>/stat counts CPU time in it.
const clockTicks = 100

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	CPU    time.Duration // user + system
	RSSKB  int64         // VmRSS
	PeakKB int64         // VmHWM: the high-water mark since the process started
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status; pid 0 is "self".
func readProc(pid int) (procSample, error) {
	dir := "/proc/self"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	var s procSample
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces; fields count from after ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("malformed %s/stat", dir)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("short %s/stat", dir)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.CPU = time.Duration(utime+stime) * time.Second / clockTicks

	status, err := os.Open(dir + "/status")
	if err != nil {
		return s, err
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			s.RSSKB = kb(line)
		case strings.HasPrefix(line, "VmHWM:"):
			s.PeakKB = kb(line)
		}
	}
	return s, sc.Err()
}

func kb(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n
}

// ProcStats is what the report says about one process during the
// measured window.
type ProcStats struct {
	PID        int     `json:"pid,omitempty"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUCores is the average number of cores busy: CPU seconds / window.
	CPUCores  float64 `json:"cpu_cores"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	EndRSSMB  float64 `json:"end_rss_mb"`
}

// procWatch measures one process between start and stop.
type procWatch struct {
	pid   int
	start procSample
	at    time.Time
	ok    bool
}

func watchProc(pid int) *procWatch {
	w := &procWatch{pid: pid, at: time.Now()}
	w.start, w.ok = mustSample(pid)
	return w
}

func mustSample(pid int) (procSample, bool) {
	s, err := readProc(pid)
	return s, err == nil
}

func (w *procWatch) stop() *ProcStats {
	if w == nil || !w.ok {
		return nil
	}
	end, ok := mustSample(w.pid)
	if !ok {
		return nil
	}
	secs := time.Since(w.at).Seconds()
	cpu := (end.CPU - w.start.CPU).Seconds()
	return &ProcStats{PID: w.pid, CPUSeconds: round(cpu, 2), CPUCores: round(cpu/secs, 2),
		PeakRSSMB: round(float64(end.PeakKB)/1024, 1), EndRSSMB: round(float64(end.RSSKB)/1024, 1)}
}

// pgWatch measures the PostgreSQL backends serving some databases (their
// command line names the database), so the database's CPU is counted too.
// Backends opened during the window count from zero; ones closed during it
// are missed, which long-lived pools make rare.
type pgWatch struct {
	dbs   []string
	at    time.Time
	start map[int]time.Duration
}

// watchPostgres returns nil for no databases.
func watchPostgres(dbs ...string) *pgWatch {
	if len(dbs) == 0 {
		return nil
	}
	return &pgWatch{dbs: dbs, at: time.Now(), start: pgBackends(dbs)}
}

func pgBackends(dbs []string) map[int]time.Duration {
	out := map[int]time.Duration{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres:")) || !servesAny(cmd, dbs) {
			continue
		}
		if s, err := readProc(pid); err == nil {
			out[pid] = s.CPU
		}
	}
	return out
}

func servesAny(cmdline []byte, dbs []string) bool {
	for _, db := range dbs {
		if bytes.Contains(cmdline, []byte(" "+db+" ")) {
			return true
		}
	}
	return false
}

func (w *pgWatch) stop() *ProcStats {
	if w == nil {
		return nil
	}
	var cpu time.Duration
	for pid, c := range pgBackends(w.dbs) {
		cpu += c - w.start[pid]
	}
	secs := time.Since(w.at).Seconds()
	return &ProcStats{CPUSeconds: round(cpu.Seconds(), 2), CPUCores: round(cpu.Seconds()/secs, 2)}
}
