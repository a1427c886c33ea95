package checkout

import (
	"testing"

	"github.com/starsesim/esimstore/internal/dev/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
