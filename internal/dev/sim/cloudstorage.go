package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"unicode/utf16"

	"github.com/labstack/echo/v4"
)

// Telegram.WebApp.CloudStorage (Bot API 6.9) is a key-value store per user
// and bot that Telegram keeps on its servers: values survive closing the
// Mini App and follow the user to their other devices. The app's script
// sends web_app_invoke_custom_method with one of four methods and the client
// answers custom_method_invoked {req_id, result | error}; the simulator page
// plays the client and asks this store, so a value written in one launch is
// there in the next, as in Telegram.
//
// Limits are the documented ones. Telegram does not document the error
// strings it answers with; the ones below are this fake's own.
const (
	cloudMaxKeys     = 1024
	cloudMaxValueLen = 4096 // characters, counted in UTF-16 units like a JS string

	cloudErrKeyInvalid   = "STORAGE_KEY_INVALID"
	cloudErrValueTooLong = "STORAGE_VALUE_TOO_LONG"
	cloudErrTooManyKeys  = "STORAGE_KEYS_TOO_MANY"
	cloudErrMethod       = "UNSUPPORTED_METHOD"
	cloudErrParams       = "PARAMS_INVALID"
)

// cloudKey: 1–128 characters, only A-Z, a-z, 0-9, _ and -.
var cloudKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

type cloudStorage struct {
	mu     sync.Mutex
	byUser map[int64]map[string]string
}

type cloudRequest struct {
	UserID int64           `json:"user_id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// cloudAnswer is the custom_method_invoked payload without req_id, which
// the page adds: exactly one of result and error is set.
type cloudAnswer struct {
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// cloud answers POST /sim/api/cloudstorage {"user_id","method","params"}
// with {"result"} or {"error"}, always 200: a refusal is an answer the
// Mini App receives, not a broken request.
func (s *server) cloud(c echo.Context) error {
	var req cloudRequest
	if err := c.Bind(&req); err != nil {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"user_id", "method", "params"}`)
	}
	if _, ok := userByID(req.UserID); !ok {
		return apiError(c, http.StatusNotFound, "unknown_user", "no such test user")
	}
	return c.JSON(http.StatusOK, s.storage.invoke(req.UserID, req.Method, req.Params))
}

func (cs *cloudStorage) invoke(user int64, method string, raw json.RawMessage) cloudAnswer {
	var p struct {
		Key   *string  `json:"key"`
		Value *string  `json:"value"`
		Keys  []string `json:"keys"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &p); err != nil {
			return cloudAnswer{Error: cloudErrParams}
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.byUser == nil {
		cs.byUser = map[int64]map[string]string{}
	}
	store := cs.byUser[user]
	if store == nil {
		store = map[string]string{}
		cs.byUser[user] = store
	}
	switch method {
	case "saveStorageValue":
		if p.Key == nil || !cloudKey.MatchString(*p.Key) {
			return cloudAnswer{Error: cloudErrKeyInvalid}
		}
		if p.Value == nil {
			return cloudAnswer{Error: cloudErrParams}
		}
		if len(utf16.Encode([]rune(*p.Value))) > cloudMaxValueLen {
			return cloudAnswer{Error: cloudErrValueTooLong}
		}
		if _, exists := store[*p.Key]; !exists && len(store) >= cloudMaxKeys {
			return cloudAnswer{Error: cloudErrTooManyKeys}
		}
		store[*p.Key] = *p.Value
		return cloudAnswer{Result: true}
	case "getStorageValues":
		if err := validKeys(p.Keys); err != "" {
			return cloudAnswer{Error: err}
		}
		// Keys without a value are left out; the app's script then reads
		// them as undefined.
		out := map[string]string{}
		for _, k := range p.Keys {
			if v, ok := store[k]; ok {
				out[k] = v
			}
		}
		return cloudAnswer{Result: out}
	case "deleteStorageValues":
		if err := validKeys(p.Keys); err != "" {
			return cloudAnswer{Error: err}
		}
		for _, k := range p.Keys {
			delete(store, k)
		}
		return cloudAnswer{Result: true}
	case "getStorageKeys":
		keys := make([]string, 0, len(store))
		for k := range store {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return cloudAnswer{Result: keys}
	}
	return cloudAnswer{Error: cloudErrMethod}
}

func validKeys(keys []string) string {
	if keys == nil {
		return cloudErrParams
	}
	for _, k := range keys {
		if !cloudKey.MatchString(k) {
			return cloudErrKeyInvalid
		}
	}
	return ""
}
