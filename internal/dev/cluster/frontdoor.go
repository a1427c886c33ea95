package cluster

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// FrontDoor is the cluster's load balancer: every request goes to the next
// API process in turn, as the TLS proxy in front of production's API
// replicas would spread them. Telegram knows one webhook URL, so this is
// what spreads webhook deliveries over the API processes. It counts what
// each process served, so a test can see the spread.
type FrontDoor struct {
	backends []*backend
	next     atomic.Uint64
}

type backend struct {
	addr  string
	proxy *httputil.ReverseProxy

	mu   sync.Mutex
	hits map[string]int // route class → requests
}

func newFrontDoor(addrs []string) *FrontDoor {
	// Keep connections to the API processes open under load, as a real
	// balancer does; the default keeps two per host.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 256
	f := &FrontDoor{}
	for _, a := range addrs {
		proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: a})
		proxy.Transport = tr
		f.backends = append(f.backends, &backend{addr: a, proxy: proxy, hits: map[string]int{}})
	}
	return f
}

func (f *FrontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := f.backends[(f.next.Add(1)-1)%uint64(len(f.backends))]
	b.mu.Lock()
	b.hits[routeClass(r.URL.Path)]++
	b.mu.Unlock()
	b.proxy.ServeHTTP(w, r)
}

// routeClass groups paths the way the checks ask about them.
func routeClass(path string) string {
	switch {
	case path == "/telegram/webhook":
		return "webhook"
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case strings.HasPrefix(path, "/admin/"):
		return "admin"
	default:
		return "other"
	}
}

// Hits returns, per API process address, the requests it served by route
// class ("webhook", "api", "admin", "other").
func (f *FrontDoor) Hits() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, b := range f.backends {
		b.mu.Lock()
		m := make(map[string]int, len(b.hits))
		for k, v := range b.hits {
			m[k] = v
		}
		b.mu.Unlock()
		out[b.addr] = m
	}
	return out
}
