// Command backfill-dev is the development and test companion of backfill-operator: offline
// fakes of every provider, a local control plane built from Go modules, a pod runner that
// stands in for kubelet, and the demo. None of it ships in the operator's image.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ooheynerds/backfill-operator/internal/dev/demo"
	"github.com/ooheynerds/backfill-operator/internal/dev/devcluster"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/podrunner"
	"github.com/ooheynerds/backfill-operator/internal/version"
)

func main() {
	root := &cobra.Command{
		Use:           "backfill-dev",
		Short:         "Development helpers for backfill-operator: offline fakes, a local control plane, a local pod runner, the demo",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.SetVersionTemplate("backfill-dev {{.Version}}\n")
	root.AddCommand(fakes.NewCommand(), devcluster.NewCommand(), podrunner.NewCommand(), demo.NewCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
