// Package cli is the operator binary's command tree: the manager, the worker every month Job
// runs (same image), and hidden development commands (fakes, local control plane, pod runner,
// demo).
package cli

import (
	"github.com/spf13/cobra"

	"github.com/ooheynerds/backfill-operator/internal/demo"
	"github.com/ooheynerds/backfill-operator/internal/devcluster"
	"github.com/ooheynerds/backfill-operator/internal/fakes"
	"github.com/ooheynerds/backfill-operator/internal/podrunner"
	"github.com/ooheynerds/backfill-operator/internal/version"
	"github.com/ooheynerds/backfill-operator/internal/worker"
)

// NewRoot builds the command tree.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "backfill-operator",
		Short:         "Fills the Alexandria book database month by month, as a Kubernetes operator",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints the release and revision stamped at link time.
		Version: version.String(),
	}
	root.SetVersionTemplate("backfill-operator {{.Version}}\n")
	dev := &cobra.Command{
		Use:    "dev",
		Short:  "Development and test helpers: offline fakes, a local control plane, a local pod runner, the demo",
		Hidden: true,
	}
	dev.AddCommand(fakes.NewCommand(), devcluster.NewCommand(), podrunner.NewCommand(), demo.NewCommand())
	root.AddCommand(newManagerCommand(), worker.NewCommand(), dev)
	return root
}
