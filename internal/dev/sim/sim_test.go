package sim_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/sim"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

type env struct {
	e     *echo.Echo
	tg    *telegramtest.Fake
	tgURL string
	esim  *esimgotest.Fake
}

// newEnv mounts the simulator over both fakes, with a minimal bot webhook
// that approves every pre-checkout query (the store's real webhook is not
// part of this package).
func newEnv(t *testing.T) *env {
	t.Helper()
	var tgSrv *httptest.Server
	var token string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd struct {
			PreCheckoutQuery *struct {
				ID string `json:"id"`
			} `json:"pre_checkout_query"`
		}
		_ = json.NewDecoder(r.Body).Decode(&upd)
		if upd.PreCheckoutQuery != nil {
			body, _ := json.Marshal(map[string]any{"pre_checkout_query_id": upd.PreCheckoutQuery.ID, "ok": true})
			res, err := http.Post(tgSrv.URL+"/bot"+token+"/answerPreCheckoutQuery", "application/json", bytes.NewReader(body))
			if err == nil {
				res.Body.Close()
			}
		}
	}))
	t.Cleanup(hook.Close)
	tg, srv := telegramtest.NewServer(t, telegramtest.Options{WebhookURL: hook.URL, AnswerTimeout: 5 * time.Second})
	tgSrv, token = srv, tg.Token()
	es := esimgotest.New(esimgotest.Options{})
	e := echo.New()
	tg.AddGroup(supportChat, "eSIM Store support")
	sim.Register(e, sim.Deps{Telegram: tg, ESIM: es, BotToken: tg.Token(), TemporalUIURL: "http://127.0.0.1:8233/",
		SupportChatID: supportChat, Staff: []int64{6_200_000_001}})
	return &env{e: e, tg: tg, tgURL: srv.URL, esim: es}
}

func (v *env) do(t *testing.T, method, target string, body any, out any) *httptest.ResponseRecorder {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	if out != nil && rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, target, err, rec.Body)
		}
	}
	return rec
}

// bot calls the fake Bot API as the store would.
func (v *env) bot(t *testing.T, method string, params map[string]any) json.RawMessage {
	t.Helper()
	b, _ := json.Marshal(params)
	res, err := http.Post(v.tgURL+"/bot"+v.tg.Token()+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}
	_ = json.NewDecoder(res.Body).Decode(&env)
	if !env.OK {
		t.Fatalf("%s failed with %d", method, res.StatusCode)
	}
	return env.Result
}

func (v *env) invoice(t *testing.T, orderID string, stars int) string {
	var link string
	raw := v.bot(t, "createInvoiceLink", map[string]any{
		"title": "eSIM UK 1 GB", "description": "1 GB for 7 days", "payload": orderID,
		"currency": "XTR", "prices": []map[string]any{{"label": "eSIM", "amount": stars}},
	})
	_ = json.Unmarshal(raw, &link)
	return link
}

func TestUsers(t *testing.T) {
	v := newEnv(t)
	var users []struct {
		ID           int64  `json:"id"`
		FirstName    string `json:"first_name"`
		Username     string `json:"username"`
		LanguageCode string `json:"language_code"`
	}
	v.do(t, http.MethodGet, "/sim/api/users", nil, &users)
	want := map[int64]string{5079065042: "en", 1002: "ru"}
	for _, u := range users {
		if lang, ok := want[u.ID]; ok && u.LanguageCode == lang && u.FirstName != "" {
			delete(want, u.ID)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing test users %v in %+v", want, users)
	}
	// Recent Telegram accounts have ids above 2^32; one old small id stays,
	// so the simulator buys with both kinds.
	var small, large int
	for _, u := range users {
		switch {
		case u.ID < 1<<31:
			small++
		case u.ID > 1<<32:
			large++
		}
	}
	if small != 1 || large != len(users)-1 {
		t.Errorf("user ids: %d small, %d above 2^32, want 1 and the rest: %+v", small, large, users)
	}
}

func TestInitDataValidatesAndForgedDoesNot(t *testing.T) {
	v := newEnv(t)
	var got struct {
		InitData string `json:"init_data"`
	}
	for _, u := range sim.Users {
		v.do(t, http.MethodPost, "/sim/api/initdata", map[string]any{"user_id": u.ID}, &got)
		d, err := telegram.ValidateInitData(got.InitData, v.tg.Token(), time.Hour, time.Now())
		if err != nil {
			t.Fatalf("genuine initData of %d rejected: %v", u.ID, err)
		}
		if d.User.ID != u.ID || d.User.LanguageCode != u.LanguageCode {
			t.Errorf("user = %+v, want %+v", d.User, u.User)
		}
	}

	v.do(t, http.MethodPost, "/sim/api/initdata", map[string]any{"user_id": 5079065042, "forged": true}, &got)
	if _, err := telegram.ValidateInitData(got.InitData, v.tg.Token(), time.Hour, time.Now()); err == nil {
		t.Fatal("forged initData validated")
	}

	if rec := v.do(t, http.MethodPost, "/sim/api/initdata", map[string]any{"user_id": 42}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown user = %d, want 404", rec.Code)
	}
}

func TestPayRunsPreCheckoutAndCharges(t *testing.T) {
	v := newEnv(t)
	link := v.invoice(t, "ord-123", 137)

	var inv struct {
		Title   string `json:"title"`
		Amount  int64  `json:"amount"`
		OrderID string `json:"order_id"`
	}
	v.do(t, http.MethodGet, "/sim/api/invoice?link="+link, nil, &inv)
	if inv.Amount != 137 || inv.OrderID != "ord-123" || inv.Title == "" {
		t.Fatalf("invoice = %+v", inv)
	}

	var res struct {
		Approved bool   `json:"approved"`
		ChargeID string `json:"charge_id"`
		OrderID  string `json:"order_id"`
	}
	rec := v.do(t, http.MethodPost, "/sim/api/pay", map[string]any{"invoice_link": link, "user_id": 5079065042}, &res)
	if rec.Code != http.StatusOK || !res.Approved || res.ChargeID == "" || res.OrderID != "ord-123" {
		t.Fatalf("pay = %d %s", rec.Code, rec.Body)
	}
	if n := len(v.tg.Calls("answerPreCheckoutQuery")); n != 1 {
		t.Errorf("answerPreCheckoutQuery calls = %d, want 1", n)
	}

	var chat struct {
		Items []struct {
			Kind    string `json:"kind"`
			Amount  int64  `json:"amount"`
			OrderID string `json:"order_id"`
		} `json:"items"`
	}
	v.do(t, http.MethodGet, "/sim/api/chat?user_id=5079065042", nil, &chat)
	if len(chat.Items) != 1 || chat.Items[0].Kind != "payment" || chat.Items[0].OrderID != "ord-123" || chat.Items[0].Amount != 137 {
		t.Fatalf("chat = %+v", chat.Items)
	}
}

func TestPayWithoutStarsIsDeclined(t *testing.T) {
	v := newEnv(t)
	link := v.invoice(t, "ord-carol", 50)
	var res struct {
		Approved     bool   `json:"approved"`
		ErrorMessage string `json:"error_message"`
	}
	rec := v.do(t, http.MethodPost, "/sim/api/pay", map[string]any{"invoice_link": link, "user_id": 7301245889}, &res)
	if rec.Code != http.StatusOK || res.Approved || !strings.Contains(res.ErrorMessage, "Stars") {
		t.Fatalf("pay = %d %s", rec.Code, rec.Body)
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/pay", map[string]any{"invoice_link": "https://t.me/$nope", "user_id": 5079065042}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown invoice = %d, want 404", rec.Code)
	}
}

func TestChatPhotoAndCaption(t *testing.T) {
	v := newEnv(t)
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, img)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("chat_id", "5079065042")
	_ = mw.WriteField("caption", "<b>SM-DP+</b> <code>rsp.example</code>")
	_ = mw.WriteField("parse_mode", "HTML")
	fw, _ := mw.CreateFormFile("photo", "qr.png")
	_, _ = fw.Write(pngBuf.Bytes())
	_ = mw.Close()
	res, err := http.Post(v.tgURL+"/bot"+v.tg.Token()+"/sendPhoto", mw.FormDataContentType(), &body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("sendPhoto: %v %v", err, res.Status)
	}
	res.Body.Close()

	var chat struct {
		Items []struct {
			Kind      string `json:"kind"`
			Text      string `json:"text"`
			ParseMode string `json:"parse_mode"`
			PhotoURL  string `json:"photo_url"`
		} `json:"items"`
	}
	v.do(t, http.MethodGet, "/sim/api/chat?user_id=5079065042", nil, &chat)
	if len(chat.Items) != 1 || chat.Items[0].Kind != "photo" || chat.Items[0].ParseMode != "HTML" || chat.Items[0].PhotoURL == "" {
		t.Fatalf("chat = %+v", chat.Items)
	}
	rec := v.do(t, http.MethodGet, chat.Items[0].PhotoURL, nil, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), pngBuf.Bytes()) {
		t.Fatalf("photo = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := v.do(t, http.MethodGet, "/sim/api/chat/photo/5079065042/999", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("missing photo = %d", rec.Code)
	}
}

type faultList struct {
	Faults []struct {
		Name string `json:"name"`
		On   bool   `json:"on"`
	} `json:"faults"`
}

func (f faultList) on(name string) bool {
	for _, x := range f.Faults {
		if x.Name == name {
			return x.On
		}
	}
	return false
}

func TestFaultSwitchesDriveTheFakes(t *testing.T) {
	v := newEnv(t)
	var fl faultList
	v.do(t, http.MethodGet, "/sim/api/faults", nil, &fl)
	if len(fl.Faults) != 3 || fl.on("esim_down") || fl.on("esim_refuses") || fl.on("refund_errors") {
		t.Fatalf("initial faults = %+v", fl)
	}

	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "esim_down", "on": true}, &fl)
	if !fl.on("esim_down") || v.esim.Faults()[esimgotest.AllEndpoints].Status != http.StatusServiceUnavailable {
		t.Fatalf("esim_down not installed: %+v %+v", fl, v.esim.Faults())
	}
	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "esim_down", "on": false}, &fl)
	if fl.on("esim_down") || len(v.esim.Faults()) != 0 {
		t.Fatalf("esim_down not cleared: %+v", v.esim.Faults())
	}

	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "esim_refuses", "on": true}, &fl)
	if f := v.esim.Faults()[esimgotest.EndpointCreateOrder]; !fl.on("esim_refuses") || f.Status != http.StatusBadRequest {
		t.Fatalf("esim_refuses = %+v", f)
	}
	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "esim_refuses", "on": false}, &fl)
	if fl.on("esim_refuses") {
		t.Fatal("esim_refuses still on")
	}

	// refund_errors: the next three refunds answer 500, then Telegram's own
	// answer (here 400, the charge is unknown) comes back and the switch
	// reports off by itself.
	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "refund_errors", "on": true}, &fl)
	if !fl.on("refund_errors") {
		t.Fatal("refund_errors not on")
	}
	for range 4 {
		b, _ := json.Marshal(map[string]any{"user_id": 5079065042, "telegram_payment_charge_id": "nope"})
		res, err := http.Post(v.tgURL+"/bot"+v.tg.Token()+"/refundStarPayment", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	var statuses []int
	for _, c := range v.tg.Calls("refundStarPayment") {
		statuses = append(statuses, c.Status)
	}
	if len(statuses) != 4 || statuses[0] != 500 || statuses[2] != 500 || statuses[3] == 500 {
		t.Fatalf("refund statuses = %v, want three 500s then Telegram's answer", statuses)
	}
	v.do(t, http.MethodGet, "/sim/api/faults", nil, &fl)
	if fl.on("refund_errors") {
		t.Error("refund_errors still on after its three failures")
	}

	// Switching it off early stops the failures at once.
	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "refund_errors", "on": true}, nil)
	v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "refund_errors", "on": false}, &fl)
	v.tg.ResetCalls()
	b, _ := json.Marshal(map[string]any{"user_id": 5079065042, "telegram_payment_charge_id": "nope"})
	res, _ := http.Post(v.tgURL+"/bot"+v.tg.Token()+"/refundStarPayment", "application/json", bytes.NewReader(b))
	res.Body.Close()
	if c := v.tg.Calls("refundStarPayment"); fl.on("refund_errors") || len(c) != 1 || c[0].Status == 500 {
		t.Errorf("after switching off: on=%v calls=%+v", fl.on("refund_errors"), c)
	}

	if rec := v.do(t, http.MethodPost, "/sim/api/faults", map[string]any{"name": "bogus", "on": true}, nil); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown fault = %d", rec.Code)
	}
}

func TestPagesAndConfig(t *testing.T) {
	v := newEnv(t)
	var cfg struct {
		TemporalUIURL string `json:"temporal_ui_url"`
	}
	v.do(t, http.MethodGet, "/sim/api/config", nil, &cfg)
	if cfg.TemporalUIURL != "http://127.0.0.1:8233" {
		t.Errorf("temporal_ui_url = %q (trailing slash should be trimmed)", cfg.TemporalUIURL)
	}
	rec := v.do(t, http.MethodGet, "/sim/", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Telegram simulator") {
		t.Fatalf("GET /sim/ = %d", rec.Code)
	}
	rec = v.do(t, http.MethodGet, "/sim/telegram-sim.js", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET telegram-sim.js = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	rec = v.do(t, http.MethodGet, "/sim/app/", nil, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(body, "telegram.org") || !strings.Contains(body, "/sim/telegram-sim.js") {
		t.Fatalf("GET /sim/app/ = %d, must load the fake client and never telegram.org:\n%s", rec.Code, body)
	}
	if rec := v.do(t, http.MethodGet, "/sim/app/js/main.js", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("GET /sim/app/js/main.js = %d", rec.Code)
	}
}

const supportChat int64 = -1_002_233_445_566

// The staff pane: members (who is staff), people writing to the bot and
// in the group (with replies and photos), and pressing a callback button.
func TestSupportPane(t *testing.T) {
	v := newEnv(t)
	var cfg struct {
		SupportChatID int64  `json:"support_chat_id"`
		BotUsername   string `json:"bot_username"`
	}
	v.do(t, http.MethodGet, "/sim/api/config", nil, &cfg)
	if cfg.SupportChatID != supportChat || cfg.BotUsername != "esim_store_test_bot" {
		t.Fatalf("config = %+v", cfg)
	}
	var members []struct {
		ID      int64 `json:"id"`
		IsStaff bool  `json:"is_staff"`
	}
	v.do(t, http.MethodGet, "/sim/api/staff", nil, &members)
	if len(members) != 2 || !members[0].IsStaff || members[1].IsStaff {
		t.Fatalf("members = %+v", members)
	}

	var sent struct {
		MessageID int64 `json:"message_id"`
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/send", map[string]any{"user_id": 5079065042, "text": "help", "photo": true}, &sent); rec.Code != 200 {
		t.Fatalf("buyer send: %d %s", rec.Code, rec.Body)
	}
	// The bot copies it into the group with a confirm button, as the store would.
	copied := v.bot(t, "copyMessage", map[string]any{"chat_id": supportChat, "from_chat_id": 5079065042, "message_id": sent.MessageID})
	var cp struct {
		MessageID int64 `json:"message_id"`
	}
	_ = json.Unmarshal(copied, &cp)
	v.bot(t, "sendMessage", map[string]any{"chat_id": supportChat, "text": "Refund?",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "Confirm", "callback_data": "refund:1"}}}}})
	if rec := v.do(t, http.MethodPost, "/sim/api/send", map[string]any{"user_id": 6200000001, "chat_id": supportChat,
		"text": "Hi!", "reply_to": cp.MessageID}, &sent); rec.Code != 200 {
		t.Fatalf("staff send: %d %s", rec.Code, rec.Body)
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/send", map[string]any{"user_id": 6200000001, "chat_id": -1, "text": "x"}, nil); rec.Code != 422 {
		t.Fatalf("send to another group: %d", rec.Code)
	}
	var chat struct {
		Items []struct {
			ID       int64  `json:"id"`
			FromBot  bool   `json:"from_bot"`
			Kind     string `json:"kind"`
			ReplyTo  int64  `json:"reply_to"`
			Copied   bool   `json:"copied"`
			PhotoURL string `json:"photo_url"`
			From     *struct {
				Name string `json:"name"`
			} `json:"from"`
			Buttons []struct {
				CallbackData string `json:"callback_data"`
			} `json:"buttons"`
		} `json:"items"`
	}
	v.do(t, http.MethodGet, "/sim/api/chat?chat_id=-1002233445566", nil, &chat)
	if len(chat.Items) != 3 || !chat.Items[0].Copied || chat.Items[0].Kind != "photo" || chat.Items[1].Buttons[0].CallbackData != "refund:1" ||
		chat.Items[2].ReplyTo != cp.MessageID || chat.Items[2].From == nil || chat.Items[2].From.Name != "Zoë Support" {
		t.Fatalf("support chat = %+v", chat.Items)
	}
	if rec := v.do(t, http.MethodGet, chat.Items[0].PhotoURL, nil, nil); rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("photo of the group: %d %s", rec.Code, rec.Header())
	}
	var pressed struct {
		QueryID  string `json:"query_id"`
		Answered bool   `json:"answered"`
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/press", map[string]any{"chat_id": supportChat, "message_id": chat.Items[1].ID,
		"user_id": 6200000001, "text": "Confirm"}, &pressed); rec.Code != 200 || pressed.QueryID == "" || pressed.Answered {
		t.Fatalf("press: %d %+v", rec.Code, pressed)
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/press", map[string]any{"chat_id": supportChat, "message_id": chat.Items[1].ID,
		"user_id": 6200000001, "text": "Nope"}, nil); rec.Code != 404 {
		t.Fatalf("press of a missing button: %d", rec.Code)
	}
}

// A startapp link's parameter is part of the signed initData, so the store
// can trust it; one Telegram would not let through is refused.
func TestInitDataCarriesStartParam(t *testing.T) {
	v := newEnv(t)
	var got struct {
		InitData string `json:"init_data"`
	}
	for _, p := range []string{"GB", "esim_8944538532008160000", ""} {
		v.do(t, http.MethodPost, "/sim/api/initdata", map[string]any{"user_id": 5079065042, "start_param": p}, &got)
		d, err := telegram.ValidateInitData(got.InitData, v.tg.Token(), time.Hour, time.Now())
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if d.StartParam != p {
			t.Errorf("start_param = %q, want %q", d.StartParam, p)
		}
	}
	for _, p := range []string{"GB&user=x", "esim 1", strings.Repeat("a", 513)} {
		if rec := v.do(t, http.MethodPost, "/sim/api/initdata", map[string]any{"user_id": 5079065042, "start_param": p}, nil); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("start_param %q = %d, want 422", p, rec.Code)
		}
	}
}

// CloudStorage keeps each user's values between launches, with Telegram's
// documented limits.
func TestCloudStorage(t *testing.T) {
	v := newEnv(t)
	call := func(user int64, method string, params any) (result any, errText string) {
		t.Helper()
		var out struct {
			Result any    `json:"result"`
			Error  string `json:"error"`
		}
		rec := v.do(t, http.MethodPost, "/sim/api/cloudstorage", map[string]any{"user_id": user, "method": method, "params": params}, &out)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s = %d %s", method, rec.Code, rec.Body)
		}
		return out.Result, out.Error
	}
	const alice, boris = 5079065042, 1002
	if res, e := call(alice, "saveStorageValue", map[string]any{"key": "recent_countries", "value": "GB,JP"}); e != "" || res != true {
		t.Fatalf("save = %v %q", res, e)
	}
	res, e := call(alice, "getStorageValues", map[string]any{"keys": []string{"recent_countries", "missing"}})
	if want := map[string]any{"recent_countries": "GB,JP"}; e != "" || !reflect.DeepEqual(res, want) {
		t.Errorf("get = %v %q, want %v (a missing key is left out)", res, e, want)
	}
	if res, _ := call(boris, "getStorageValues", map[string]any{"keys": []string{"recent_countries"}}); !reflect.DeepEqual(res, map[string]any{}) {
		t.Errorf("Boris reads Alice's storage: %v", res)
	}
	if res, _ := call(alice, "getStorageKeys", map[string]any{}); !reflect.DeepEqual(res, []any{"recent_countries"}) {
		t.Errorf("keys = %v", res)
	}
	if _, e := call(alice, "deleteStorageValues", map[string]any{"keys": []string{"recent_countries"}}); e != "" {
		t.Fatal(e)
	}
	if res, _ := call(alice, "getStorageKeys", map[string]any{}); !reflect.DeepEqual(res, []any{}) {
		t.Errorf("keys after delete = %v", res)
	}

	refusals := []struct {
		method string
		params any
		want   string
	}{
		{"saveStorageValue", map[string]any{"key": "", "value": "x"}, "STORAGE_KEY_INVALID"},
		{"saveStorageValue", map[string]any{"key": "recent countries", "value": "x"}, "STORAGE_KEY_INVALID"},
		{"saveStorageValue", map[string]any{"key": strings.Repeat("k", 129), "value": "x"}, "STORAGE_KEY_INVALID"},
		{"saveStorageValue", map[string]any{"key": "k", "value": strings.Repeat("ж", 4097)}, "STORAGE_VALUE_TOO_LONG"},
		{"getStorageValues", map[string]any{"keys": []string{"ok", "not ok"}}, "STORAGE_KEY_INVALID"},
		{"getCoinPoints", map[string]any{}, "UNSUPPORTED_METHOD"},
	}
	for _, r := range refusals {
		if _, e := call(alice, r.method, r.params); e != r.want {
			t.Errorf("%s %v: error %q, want %q", r.method, r.params, e, r.want)
		}
	}
	if _, e := call(alice, "saveStorageValue", map[string]any{"key": strings.Repeat("k", 128), "value": strings.Repeat("ж", 4096)}); e != "" {
		t.Errorf("a value at the limits is refused: %q", e)
	}
	for i := range 1023 {
		if _, e := call(alice, "saveStorageValue", map[string]any{"key": "k" + strconv.Itoa(i), "value": ""}); e != "" {
			t.Fatalf("key %d: %q", i, e)
		}
	}
	if _, e := call(alice, "saveStorageValue", map[string]any{"key": "one_too_many", "value": "x"}); e != "STORAGE_KEYS_TOO_MANY" {
		t.Errorf("key 1025: %q, want STORAGE_KEYS_TOO_MANY", e)
	}
	if _, e := call(alice, "saveStorageValue", map[string]any{"key": "k0", "value": "overwrite"}); e != "" {
		t.Errorf("overwriting at the limit: %q", e)
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/cloudstorage", map[string]any{"user_id": 42, "method": "getStorageKeys"}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown user = %d", rec.Code)
	}
}

// buyESIM orders a bundle from the fake eSIM Go as the store does and
// returns the new eSIM's ICCID.
func (v *env) buyESIM(t *testing.T, bundle string) string {
	t.Helper()
	srv := httptest.NewServer(v.esim)
	defer srv.Close()
	body := `{"type":"transaction","assign":true,"order":[{"type":"bundle","item":"` + bundle + `","quantity":1}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2.5/orders", strings.NewReader(body))
	req.Header.Set("X-API-Key", "test-api-key")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Order []struct {
			ESIMs []struct {
				ICCID string `json:"iccid"`
			} `json:"esims"`
		} `json:"order"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Order) == 0 || len(out.Order[0].ESIMs) == 0 {
		t.Fatalf("order: %d %v %+v", res.StatusCode, err, out)
	}
	return out.Order[0].ESIMs[0].ICCID
}

// The phone's buttons act on the fake eSIM Go: install, use data until the
// plan is used up, remove, let the plans run out.
func TestPhonePlaysTheBuyersESIM(t *testing.T) {
	v := newEnv(t)
	iccid := v.buyESIM(t, "esim_1GB_7D_GB_V2")
	type usage struct {
		Usage []struct {
			Bundle    string `json:"bundle"`
			State     string `json:"state"`
			Initial   int64  `json:"initial_bytes"`
			Remaining int64  `json:"remaining_bytes"`
		} `json:"usage"`
	}
	act := func(action string, percent int) (int, usage) {
		var u usage
		rec := v.do(t, http.MethodPost, "/sim/api/phone", map[string]any{"iccid": iccid, "action": action, "percent": percent}, &u)
		return rec.Code, u
	}
	if code, _ := act("install", 0); code != http.StatusOK {
		t.Fatalf("install = %d", code)
	}
	code, u := act("use", 80)
	if code != http.StatusOK || len(u.Usage) != 1 || u.Usage[0].State != "active" || u.Usage[0].Remaining != u.Usage[0].Initial/5 {
		t.Fatalf("use 80 %% = %d %+v", code, u)
	}
	if _, u = act("use", 100); u.Usage[0].State != "depleted" || u.Usage[0].Remaining != 0 {
		t.Fatalf("use 100 %% = %+v", u)
	}
	if code, _ := act("use", 10); code != http.StatusConflict {
		t.Errorf("using a used-up eSIM = %d, want 409", code)
	}
	if _, u = act("expire", 0); u.Usage[0].State != "expired" {
		t.Errorf("expire = %+v", u)
	}
	if code, _ := act("remove", 0); code != http.StatusOK {
		t.Errorf("remove = %d", code)
	}
	for _, bad := range []map[string]any{
		{"iccid": iccid, "action": "use", "percent": 0},
		{"iccid": iccid, "action": "explode"},
		{"action": "install"},
	} {
		if rec := v.do(t, http.MethodPost, "/sim/api/phone", bad, nil); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%v = %d, want 422", bad, rec.Code)
		}
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/phone", map[string]any{"iccid": "8944500000000000000", "action": "install"}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown eSIM = %d, want 404", rec.Code)
	}
	var bal struct {
		Balance string `json:"balance"`
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/balance-low", nil, &bal); rec.Code != http.StatusOK || bal.Balance == "" {
		t.Errorf("balance-low = %d %s", rec.Code, rec.Body)
	}
}
