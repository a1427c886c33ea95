package telegramtest

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxUpload matches Telegram's 50 MB multipart limit closely enough for a fake.
const maxUpload = 50 << 20

// Call is one recorded API request.
type Call struct {
	Method string
	// Params holds every parameter as Telegram sees it: string values as they
	// are, numbers/booleans/objects as their JSON text, whatever the wire
	// format was (JSON body, multipart, form or query).
	Params map[string]string
	Files  []File
	At     time.Time
	// Status is 200 or the error_code answered; Error the description.
	Status int
	Error  string
}

// File is an uploaded multipart file.
type File struct {
	Field, Name string
	Data        []byte
}

// Param returns a parameter ("" when absent).
func (c Call) Param(name string) string { return c.Params[name] }

// Has reports whether the parameter was sent at all.
func (c Call) Has(name string) bool {
	_, ok := c.Params[name]
	return ok
}

// Int parses a numeric parameter; ok is false when absent or not a number.
func (c Call) Int(name string) (int64, bool) {
	v, ok := c.Params[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

// Bool parses a boolean parameter the way Telegram does ("true"/"1").
func (c Call) Bool(name string) bool {
	v := strings.ToLower(strings.TrimSpace(c.Params[name]))
	return v == "true" || v == "1"
}

// JSON decodes a JSON-serialized parameter (arrays, objects).
func (c Call) JSON(name string, v any) error {
	raw, ok := c.Params[name]
	if !ok {
		return errors.New("absent")
	}
	return json.Unmarshal([]byte(raw), v)
}

// File returns the upload sent in field, if any.
func (c Call) File(field string) (File, bool) {
	for _, f := range c.Files {
		if f.Field == field {
			return f, true
		}
	}
	return File{}, false
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Status == http.StatusOK }

// parseRequest reads parameters from the query string and the body, in any of
// the encodings Telegram accepts.
func parseRequest(r *http.Request, method string) (Call, *apiError) {
	call := Call{Method: method, Params: map[string]string{}}
	for k, v := range r.URL.Query() {
		call.Params[k] = v[0]
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return call, nil
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload))
		if err != nil {
			return call, badRequest("can't read request body")
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			return call, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return call, badRequest("can't parse JSON object")
		}
		for k, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				call.Params[k] = s
			} else if string(raw) != "null" {
				call.Params[k] = string(raw)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return call, badRequest("can't parse multipart form")
		}
		for k, v := range r.MultipartForm.Value {
			call.Params[k] = v[0]
		}
		for field, headers := range r.MultipartForm.File {
			for _, h := range headers {
				file, err := h.Open()
				if err != nil {
					return call, badRequest("can't read file %q", field)
				}
				data, err := io.ReadAll(file)
				_ = file.Close()
				if err != nil {
					return call, badRequest("can't read file %q", field)
				}
				call.Files = append(call.Files, File{Field: field, Name: h.Filename, Data: data})
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return call, badRequest("can't parse form")
		}
		for k, v := range r.PostForm {
			call.Params[k] = v[0]
		}
	}
	return call, nil
}

// Calls returns the recorded calls of one method ("" = all), oldest first.
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets recorded calls (state such as the ledger is kept).
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}
