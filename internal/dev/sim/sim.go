// Package sim is the sandbox's stand-in for a Telegram client: a page at
// /sim/ that frames the Mini App with a fake Telegram.WebApp, plays the
// buyer's Stars payment sheet through the fake Bot API, shows the bot chat,
// and flips fault switches on the fakes. It is mounted only by the sandbox,
// never by `esimstore serve`: its endpoints sign initData for anyone.
//
// JSON endpoints (errors are {"error": code, "message": text}):
//
//	GET  /sim/api/config               → {"temporal_ui_url": "http://127.0.0.1:8233", "bot_username": "…", "support_chat_id": -100…}
//	GET  /sim/api/users                → [{"id":5079065042,"first_name":"Alice","username":"alice","language_code":"en","label":"Alice (en)"}, …]
//	POST /sim/api/initdata             {"user_id":5079065042[,"forged":true][,"start_param":"GB"]}
//	                                   → {"init_data":"query_id=…&user=…&hash=…","user":{…}}; start_param is signed
//	                                      into initData, as Telegram does for a t.me/<bot>?startapp= link
//	GET  /sim/api/invoice?link=…       → {"link","title","description","amount","currency","order_id"}
//	POST /sim/api/pay                  {"invoice_link":"…","user_id":5079065042}
//	                                   → {"approved":true,"error_message":"","charge_id":"…","delivered":true,"order_id":"…"}
//	GET  /sim/api/chat?user_id=5079065042 (or chat_id=-100… for the support group)
//	                                   → {"items":[{"id","at","from_bot","from":{"id","name"},"kind","text","parse_mode",
//	                                      "buttons":[{"text","url","web_app_url","callback_data"}],"reply_to","copied",
//	                                      "photo_url","invoice_link","invoice":{"title","amount"},"charge_id","amount","order_id"}]}
//	GET  /sim/api/chat/photo/{chat_id}/{message_id} → the photo's bytes (image/png)
//	GET  /sim/api/staff                → [{"id":6200000001,"first_name":"Zoë",…,"label","is_staff":true}, …] members of the support group
//	POST /sim/api/send                 {"user_id":…,"chat_id":0|-100…,"text":"…","photo":false,"reply_to":0} → {"message_id"}
//	                                      a person writes: a buyer to the bot (chat_id 0), a member in the support group
//	POST /sim/api/press                {"chat_id":…,"message_id":…,"user_id":…,"text":"<button text>"}
//	                                   → {"query_id","answered","answer":{"text","show_alert"}}
//	GET  /sim/api/faults               → {"faults":[{"name":"esim_down","on":false,"description":"…"}, …]}
//	POST /sim/api/faults               {"name":"esim_down","on":true} → same as GET
//	GET  /sim/api/subscriptions?user_id=5079065042
//	                                   → {"subscriptions":[{"subscription_id","first_charge_id","amount","charges","canceled"}]}
//	POST /sim/api/renew                {"subscription_id":"sub-…"} or {"charge_id":"<first charge>"}
//	                                   → {"subscription_id","first_charge_id","charge_id","delivered"}; Telegram's
//	                                      30-day renewal, now (409 subscription_stopped once the bot cancelled it)
//	POST /sim/api/cloudstorage         {"user_id":5079065042,"method":"saveStorageValue","params":{"key","value"}}
//	                                   → {"result":…} or {"error":"…"}; the user's CloudStorage (cloudstorage.go)
//	POST /sim/api/phone                {"iccid":"8944…","action":"install"|"remove"|"use"|"expire"[,"percent":80]}
//	                                   → {"iccid","usage":[{"bundle","state","initial_bytes","remaining_bytes","unlimited"}]};
//	                                      the buyer's phone on the fake eSIM Go, which sends its callbacks (phone.go)
//	POST /sim/api/balance-low          → {"balance","threshold"}; eSIM Go's LowBalance callback
//
// Pages: /sim/ (simulator), /sim/telegram-sim.js (the fake client), and
// /sim/app/ (the Mini App's own files, loading the fake client instead of
// telegram.org's script).
package sim

import (
	"embed"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
	"github.com/starsesim/esimstore/web"
)

//go:embed static
var static embed.FS

// Deps are the sandbox's fakes and settings the simulator drives.
type Deps struct {
	Telegram      *telegramtest.Fake
	ESIM          *esimgotest.Fake
	BotToken      string
	TemporalUIURL string // e.g. http://127.0.0.1:8233
	// SupportChatID is the support group shown as the staff pane (0: none);
	// Staff are the SUPPORT_STAFF_IDS.
	SupportChatID int64
	Staff         []int64
}

// TestUser is a simulated Telegram account.
type TestUser struct {
	telegram.User
	Label string `json:"label"`
	// Stars is the opening balance; -1 keeps the fake's default.
	Stars int64 `json:"-"`
}

// Users are the accounts offered in the simulator's user picker. Alice and
// Carol have ids above 2^32, like every account made in recent years; Boris
// keeps a small one (an account from Telegram's early days), so both kinds
// are bought with. Carol has no Stars, to show how a payment that Telegram
// refuses looks.
var Users = []TestUser{
	{User: telegram.User{ID: 5_079_065_042, FirstName: "Alice", LastName: "Smith", Username: "alice", LanguageCode: "en"}, Label: "Alice (en)", Stars: -1},
	{User: telegram.User{ID: 1002, FirstName: "Борис", LastName: "Иванов", Username: "boris", LanguageCode: "ru"}, Label: "Boris (ru, old account)", Stars: -1},
	{User: telegram.User{ID: 7_301_245_889, FirstName: "Carol", Username: "carol", LanguageCode: "en"}, Label: "Carol (en, no Stars)", Stars: 0},
}

func userByID(id int64) (TestUser, bool) {
	for _, u := range Users {
		if u.ID == id {
			return u, true
		}
	}
	return TestUser{}, false
}

type server struct {
	d Deps

	mu sync.Mutex
	// refundFaultAt is when refund_errors was switched on (zero: off);
	// telegramtest cannot report its faults, so the switch state is derived
	// from the failed refund calls recorded since then.
	refundFaultAt time.Time

	storage cloudStorage
}

// Register mounts the simulator page at /sim/ and its JSON endpoints under
// /sim/api/. It sets the opening Star balances of the test users that need
// one (Carol: 0).
func Register(e *echo.Echo, d Deps) {
	s := &server{d: d}
	for _, u := range Users {
		if u.Stars >= 0 && d.Telegram != nil {
			d.Telegram.SetBalance(u.ID, u.Stars)
		}
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	e.GET("/sim", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/sim/") })
	e.GET("/sim/", web.FilesHandler(sub))
	e.GET("/sim/*", web.FilesHandler(sub))
	app := web.AppHandler("/sim/telegram-sim.js")
	e.GET("/sim/app", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/sim/app/") })
	e.GET("/sim/app/", app)
	e.GET("/sim/app/*", app)

	g := e.Group("/sim/api")
	g.GET("/config", s.config)
	g.GET("/users", s.users)
	g.POST("/initdata", s.initData)
	g.GET("/invoice", s.invoice)
	g.POST("/pay", s.pay)
	g.GET("/chat", s.chat)
	g.GET("/chat/photo/:user/:message", s.photo)
	g.GET("/faults", s.faults)
	g.POST("/faults", s.setFault)
	g.GET("/subscriptions", s.subscriptions)
	g.POST("/renew", s.renew)
	g.GET("/staff", s.staff)
	g.POST("/send", s.send)
	g.POST("/press", s.press)
	g.POST("/cloudstorage", s.cloud)
	g.POST("/phone", s.phone)
	g.POST("/balance-low", s.balanceLow)
}

func apiError(c echo.Context, status int, code, msg string) error {
	return c.JSON(status, map[string]string{"error": code, "message": msg})
}
