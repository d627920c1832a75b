package resolve

import (
	"os"
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
)

func TestMain(m *testing.M) {
	code := m.Run()
	localpg.Cleanup()
	os.Exit(code)
}
