package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

func isType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}
