// Package bench holds Go benchmarks of the operator's hot paths that need the real control
// plane: fanning a campaign out into its months and aggregating their status. Results and the
// commands that produce them are in docs/benchmarks.md.
package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

var env *testenv.Env

// TestMain starts kube-apiserver and etcd only when a benchmark was asked for, so that
// `go test ./...` passes through this package in milliseconds.
func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" {
		fmt.Println("test/bench holds only benchmarks; run with -bench to start the control plane")
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
	os.Exit(code)
}
