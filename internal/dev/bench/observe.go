package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// orderRec is everything observed about one order. Times are taken where
// the issue defines each figure: the webhook's receipt of an update is the
// moment fake Telegram starts posting it, the answer is the moment fake
// Telegram receives the Bot API call.
type orderRec struct {
	userID  int64
	orderID string
	warm    bool // started during the warm-up: not in the figures

	start, created time.Time
	createErr      string

	pcSent, pcAnswered time.Time
	pcAck              time.Duration
	paySent            time.Time
	payAck             time.Duration
	paid               bool // the webhook accepted successful_payment
	failure            string

	delivered time.Time
	// refund: the order buys RefusedPlan and is refunded, not delivered.
	refund   bool
	refunded time.Time     // refundStarPayment received
	done     chan struct{} // closed on delivery (or on the refund)
}

// tracker joins what the load generator, the webhook transport and fake
// Telegram's call hook see, by buyer (each order has its own buyer) and by
// pre-checkout query id.
type tracker struct {
	mu       sync.Mutex
	byUser   map[int64]*orderRec
	byOrder  map[string]*orderRec
	byQuery  map[string]*orderRec
	stray    int // sendPhoto for no known order
	extraPic int // a second sendPhoto for one order
}

func newTracker() *tracker {
	return &tracker{byUser: map[int64]*orderRec{}, byOrder: map[string]*orderRec{}, byQuery: map[string]*orderRec{}}
}

func (t *tracker) add(r *orderRec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byUser[r.userID] = r
}

func (t *tracker) setOrder(r *orderRec, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.orderID = id
	t.byOrder[id] = r
}

// onCall is fake Telegram's OnCall hook.
func (t *tracker) onCall(c telegramtest.Call) {
	if !c.OK() {
		return
	}
	switch c.Method {
	case "answerPreCheckoutQuery":
		t.mu.Lock()
		if r := t.byQuery[c.Param("pre_checkout_query_id")]; r != nil && r.pcAnswered.IsZero() {
			r.pcAnswered = c.At
		}
		t.mu.Unlock()
	case "refundStarPayment":
		user, _ := c.Int("user_id")
		t.mu.Lock()
		if r := t.byUser[user]; r != nil && r.refund && r.refunded.IsZero() {
			r.refunded = c.At
			close(r.done)
		}
		t.mu.Unlock()
	case "sendPhoto":
		chat, _ := c.Int("chat_id")
		t.mu.Lock()
		r := t.byUser[chat]
		switch {
		case r == nil || r.refund:
			t.stray++
		case !r.delivered.IsZero():
			t.extraPic++
		default:
			r.delivered = c.At
			close(r.done)
		}
		t.mu.Unlock()
	}
}

// webhookUpdate is the part of an update the tracker needs.
type webhookUpdate struct {
	PreCheckoutQuery *struct {
		ID             string `json:"id"`
		InvoicePayload string `json:"invoice_payload"`
	} `json:"pre_checkout_query"`
	Message *struct {
		SuccessfulPayment *struct {
			InvoicePayload string `json:"invoice_payload"`
		} `json:"successful_payment"`
	} `json:"message"`
}

// webhookTransport times fake Telegram's webhook posts: when each update
// left and when the app acknowledged it.
type webhookTransport struct {
	base http.RoundTripper
	t    *tracker
}

func (w *webhookTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	var u webhookUpdate
	_ = json.Unmarshal(body, &u)
	sent := time.Now()
	var rec *orderRec
	isPC := false
	w.t.mu.Lock()
	switch {
	case u.PreCheckoutQuery != nil:
		if rec = w.t.byOrder[u.PreCheckoutQuery.InvoicePayload]; rec != nil {
			isPC = true
			w.t.byQuery[u.PreCheckoutQuery.ID] = rec
			if rec.pcSent.IsZero() {
				rec.pcSent = sent
			}
		}
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		if rec = w.t.byOrder[u.Message.SuccessfulPayment.InvoicePayload]; rec != nil && rec.paySent.IsZero() {
			rec.paySent = sent
		}
	}
	w.t.mu.Unlock()

	resp, err := w.base.RoundTrip(req)
	if rec != nil && err == nil && resp.StatusCode/100 == 2 {
		took := time.Since(sent)
		w.t.mu.Lock()
		if isPC {
			rec.pcAck = took
		} else {
			rec.payAck = took
		}
		w.t.mu.Unlock()
	}
	return resp, err
}

// newTransport is a client transport sized for hundreds of concurrent
// requests to one host: the default keeps only two idle connections per
// host, so under load most requests would pay for a new TCP connection
// (and leave a TIME_WAIT socket behind).
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	return tr
}
