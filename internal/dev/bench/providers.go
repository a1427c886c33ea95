package bench

import (
	"slices"
	"time"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Provider is what one fake saw from the first order of the run on (the
// start-up's catalogue sync is not counted).
type Provider struct {
	// Limit is what the fake enforced per second; 0: none.
	Limit int `json:"limit_per_sec"`
	// Calls are eSIM Go requests, or Telegram messages (sendMessage,
	// sendPhoto, sendInvoice: what Telegram's flood limit counts).
	Calls    int     `json:"calls"`
	PerOrder float64 `json:"calls_per_order"` // ÷ orders delivered
	Limited  int     `json:"answered_429"`
	// Share429 is the percentage of Calls answered 429.
	Share429 float64 `json:"share_429_percent"`
	// MaxIn1s is the most calls that arrived within any one second,
	// 429s included: what the provider saw.
	MaxIn1s int `json:"max_in_any_second"`
	// MaxInClockSecond is the most that arrived within one second of the
	// clock (12:00:01.000–.999), the window eSIM Go counts in.
	MaxInClockSecond int `json:"max_in_a_clock_second"`
	// Ceiling is Limit ÷ PerOrder: the orders per second the provider
	// allows at this cost per order.
	Ceiling float64 `json:"ceiling_orders_per_sec,omitempty"`
}

// Providers are the two fakes' views of the run.
type Providers struct {
	ESIMGo   Provider `json:"esimgo"`
	Telegram Provider `json:"telegram_messages"`
	// TelegramCalls counts every Bot API call (messages, pre-checkout
	// answers, invoice links, refunds) per order delivered.
	TelegramCallsPerOrder float64 `json:"telegram_calls_per_order"`
	// TelegramMaxPerChat is the most messages one chat got within any
	// one second.
	TelegramMaxPerChat int `json:"telegram_max_per_chat_in_any_second"`
}

// Burst says how a backlog drained: for runs offered faster than a
// provider allows.
type Burst struct {
	// DeliveredPerSec is QR photos sent ÷ (last QR − first payment).
	DeliveredPerSec float64 `json:"delivered_per_sec"`
	// DrainSec is last QR − last payment: how long the backlog left when
	// the load stopped took to clear. In a first-come-first-served queue
	// the last payments wait about this long, so payment → QR p99 stays
	// close to it; a queue that lets late orders overtake shows a p99 well
	// above it.
	DrainSec float64 `json:"drain_sec"`
}

func providerStats(esim *esimgotest.Fake, tg *telegramtest.Fake, o Options, from time.Time, delivered int) Providers {
	var p Providers
	var esimTimes []time.Time
	for _, r := range esim.Requests() {
		if r.Time.Before(from) {
			continue
		}
		esimTimes = append(esimTimes, r.Time)
		if r.Limited {
			p.ESIMGo.Limited++
		}
	}
	p.ESIMGo.Calls = len(esimTimes)
	p.ESIMGo.MaxIn1s, _ = MaxInWindow(esimTimes, time.Second)
	p.ESIMGo.MaxInClockSecond = MaxPerClockSecond(esimTimes)
	p.ESIMGo.Limit = o.ESIMGoLimit

	var msgTimes []time.Time
	byChat := map[string][]time.Time{}
	calls := 0
	for _, c := range tg.Calls("") {
		if c.At.Before(from) {
			continue
		}
		calls++
		if !isMessage(c.Method) {
			continue
		}
		msgTimes = append(msgTimes, c.At)
		if c.Status == 429 {
			p.Telegram.Limited++
		}
		chat := c.Param("chat_id")
		byChat[chat] = append(byChat[chat], c.At)
	}
	p.Telegram.Calls = len(msgTimes)
	p.Telegram.MaxIn1s, _ = MaxInWindow(msgTimes, time.Second)
	p.Telegram.MaxInClockSecond = MaxPerClockSecond(msgTimes)
	p.Telegram.Limit = o.TelegramLimit
	for _, ts := range byChat {
		n, _ := MaxInWindow(ts, time.Second)
		p.TelegramMaxPerChat = max(p.TelegramMaxPerChat, n)
	}
	for _, pr := range []*Provider{&p.ESIMGo, &p.Telegram} {
		if pr.Calls > 0 {
			pr.Share429 = round(100*float64(pr.Limited)/float64(pr.Calls), 2)
		}
		if delivered > 0 {
			pr.PerOrder = round(float64(pr.Calls)/float64(delivered), 2)
		}
		if pr.Limit > 0 && pr.PerOrder > 0 {
			pr.Ceiling = round(float64(pr.Limit)/pr.PerOrder, 1)
		}
	}
	if delivered > 0 {
		p.TelegramCallsPerOrder = round(float64(calls)/float64(delivered), 2)
	}
	return p
}

func isMessage(method string) bool {
	return method == "sendMessage" || method == "sendPhoto" || method == "sendInvoice" || method == "copyMessage"
}

// MaxInWindow is the most of the times inside any window-long span, and
// the index (in sorted order) of the first of them. It sorts times.
func MaxInWindow(times []time.Time, window time.Duration) (most, first int) {
	slices.SortFunc(times, time.Time.Compare)
	lo := 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= window {
			lo++
		}
		if hi-lo+1 > most {
			most, first = hi-lo+1, lo
		}
	}
	return most, first
}

// MaxPerClockSecond is the most times within one second of the clock
// (how eSIM Go counts its limit).
func MaxPerClockSecond(times []time.Time) int {
	per := map[int64]int{}
	most := 0
	for _, t := range times {
		n := per[t.Unix()] + 1
		per[t.Unix()] = n
		most = max(most, n)
	}
	return most
}
