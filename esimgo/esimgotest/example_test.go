package esimgotest_test

import (
	"net/http"
	"time"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

// Running the fake inside a long-lived sandbox process, with faults toggled at runtime.
func ExampleNew() {
	fake := esimgotest.New(esimgotest.Options{APIKey: "sandbox-key"})
	defer fake.Close()
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	_ = srv // go srv.ListenAndServe(); point ESIMGO_API_URL at http://<addr>/v2.5

	// "eSIM Go down for a while":
	fake.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 30 * time.Second})
	fake.ClearFault(esimgotest.AllEndpoints)
	// "refuses the bundle":
	fake.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: http.StatusBadRequest, Message: "Bundle is not available"})
	// "charged, but the answer is lost":
	fake.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})

	_ = []esimgo.Order(fake.Orders())
}
