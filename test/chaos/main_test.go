// Package chaos runs the whole operator on one machine (localsystem: a real control plane with
// Kubernetes' Job and garbage-collection controllers, PostgreSQL, the pod runner and the worker
// against the provider fakes) and injects faults from outside — manager SIGKILLs, a leader
// failover, PostgreSQL and kube-apiserver outages, deleted and recreated months and campaigns,
// pods deleted mid-run, a missing Secret, an unpullable image, a key with a trailing newline.
// Every test ends with the same invariants (internal/dev/invariants). Faults are global, so the
// tests run one after another on one system, each campaign in its own namespace.
package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

var sys *localsystem.System

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("chaos: skipped under -short (needs the control plane in bin/k8s and PostgreSQL)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "backfill-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = os.Chmod(dir, 0o755)
	keep := os.Getenv("CHAOS_KEEP") != ""
	defer func() {
		if !keep {
			_ = os.RemoveAll(dir)
		}
	}()
	binary := filepath.Join(dir, "backfill-operator")
	build := exec.Command("go", "build", "-o", binary, "./cmd/backfill-operator")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "chaos: building the operator binary: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logf := func(string, ...any) {}
	if testing.Verbose() {
		logf = func(format string, args ...any) { fmt.Printf("chaos: "+format+"\n", args...) }
	}
	sys, err = localsystem.Start(ctx, localsystem.Options{
		Binary: binary, RepoRoot: repoRoot(), Dir: filepath.Join(dir, "system"),
		Fakes: fakes.Options{ISBNdbRate: 100},
		Logf:  logf,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: starting the local system: %v\n", err)
		return 1
	}
	defer sys.Stop()
	if keep {
		fmt.Printf("chaos: logs kept in %s\n", dir)
	}
	return m.Run()
}
