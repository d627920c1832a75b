package cli

import (
	"flag"

	"github.com/spf13/cobra"
)

// addGoFlags lets libraries that register on a standard flag.FlagSet (zap's logging options)
// add their flags to a cobra command.
func addGoFlags(cmd *cobra.Command, register func(*flag.FlagSet)) {
	fs := flag.NewFlagSet(cmd.Name(), flag.ContinueOnError)
	register(fs)
	cmd.Flags().AddGoFlagSet(fs)
}
