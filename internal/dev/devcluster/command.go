package devcluster

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// NewCommand returns the `cluster` command: `cluster up` starts a local
// control plane, prints the kubeconfig path and runs until SIGINT or SIGTERM.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Run a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)",
	}
	cmd.AddCommand(newUpCommand())
	return cmd
}

func newUpCommand() *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the control plane and keep it running until interrupted",
		Long: `Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports,
writes an admin kubeconfig into --dir, prints its path, and blocks until SIGINT or
SIGTERM, then stops every process it started. There is no kubelet or scheduler:
run "podrunner" against the same kubeconfig to run pods. etcd data is wiped at
every start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			opts.Logf = func(format string, args ...any) {
				fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...)
			}
			cluster, err := Start(ctx, opts)
			if err != nil {
				return err
			}
			defer cluster.Stop()
			fmt.Fprintln(cmd.OutOrStdout(), cluster.Kubeconfig)
			fmt.Fprintf(cmd.ErrOrStderr(), "logs in %s; press Ctrl-C to stop\n", cluster.LogDir)
			<-ctx.Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "stopping control plane")
			return nil
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&opts.Dir, "dir", ".demo/cluster", "directory for certificates, etcd data, logs and the kubeconfig")
	flags.StringVar(&opts.BinDir, "bin-dir", "", "directory holding etcd, kube-apiserver and kube-controller-manager (default $KUBEBUILDER_ASSETS, then bin/k8s)")
	flags.StringSliceVar(&opts.Controllers, "controllers", DefaultControllers, "kube-controller-manager controllers to run")
	flags.DurationVar(&opts.StartTimeout, "start-timeout", 0, "how long to wait for the control plane to become ready (default 90s)")
	return cmd
}
