// Package integration tests the controllers and the API against a real kube-apiserver and a
// real PostgreSQL, with an injected clock.
package integration

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Suite{Name: "integration"}) }
