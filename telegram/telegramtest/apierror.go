package telegramtest

import (
	"fmt"
	"net/http"
)

// apiError is a Telegram error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int // seconds
}

var (
	errNotFound     = &apiError{Code: http.StatusNotFound, Description: "Not Found"}
	errUnauthorized = &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
)

func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func forbidden(reason string) *apiError {
	return &apiError{Code: http.StatusForbidden, Description: "Forbidden: " + reason}
}

// missing is the answer for an absent required parameter (text unconfirmed).
func missing(name string) *apiError {
	return badRequest("parameter %q is required", name)
}
