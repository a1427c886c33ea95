package activities_test

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/internal/dev/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func containsType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}
