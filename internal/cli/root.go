// Package cli is the operator binary's command tree: the manager and the worker every month
// Job runs (same image). Development commands live in cmd/backfill-dev.
package cli

import (
	"github.com/spf13/cobra"

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
	root.AddCommand(newManagerCommand(), worker.NewCommand())
	return root
}
