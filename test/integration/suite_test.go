// Package integration tests the controllers and the API against a real kube-apiserver and a
// real PostgreSQL, with an injected clock.
package integration

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration tests need the control plane; skipped with -short")
		os.Exit(0)
	}
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	localpg.Cleanup()
	os.Exit(code)
}
