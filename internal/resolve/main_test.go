package resolve

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
)

func TestMain(m *testing.M) { localpg.RunTests(m) }
