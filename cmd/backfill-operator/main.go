// Command backfill-operator is the operator's only binary: `manager` runs the controllers and
// `worker` runs one attempt of one month inside a Job, from the same image.
package main

import (
	"fmt"
	"os"

	"github.com/ooheynerds/backfill-operator/internal/cli"
	"github.com/ooheynerds/backfill-operator/internal/worker"
)

func main() {
	cmd := cli.NewRoot()
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		if c, _, _ := cmd.Find(os.Args[1:]); c != nil && c.Name() == "worker" {
			os.Exit(worker.ExitCode(err))
		}
		os.Exit(1)
	}
}
