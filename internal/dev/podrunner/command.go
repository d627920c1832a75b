package podrunner

import (
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
)

// NewCommand returns the `podrunner` command, which runs Run against the
// cluster of a kubeconfig until SIGINT or SIGTERM.
func NewCommand() *cobra.Command {
	var (
		kubeconfig string
		maps       []string
		opts       Options
	)
	cmd := &cobra.Command{
		Use:   "podrunner",
		Short: "Run selected pods as local processes (a dev/test stand-in for kubelet and a container runtime)",
		Long: `podrunner registers a Node, binds unscheduled pods matching --selector to it and
runs each container's command and args as a local process of the binary a --map
rule names, reporting exit code, termination message and phase in pod status the
way a kubelet does. It provides no isolation: no images, namespaces, cgroups,
volumes, probes or networking, and securityContext is not enforced.

A rule NAME=BINARY matches a container whose image (with or without tag, or its
last path element) is NAME; BINARY then replaces command[0]. An image no rule
names cannot be "pulled": the container waits with the kubelet's reasons
(ErrImagePull, then ImagePullBackOff; InvalidImageName for a malformed
reference). A missing Secret or key waits with CreateContainerConfigError until
it appears. Status writes are retried through API-server outages. Container
logs are served to kube-apiserver (kubectl logs) on a loopback port advertised
in the Node's status, for callers with a client certificate of the cluster CA.
Example:
  podrunner --kubeconfig .demo/cluster/kubeconfig --map backfill-operator=bin/backfill-operator`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, raw := range maps {
				m, err := ParseMapping(raw)
				if err != nil {
					return err
				}
				opts.Mappings = append(opts.Mappings, m)
			}
			loading := clientcmd.NewDefaultClientConfigLoadingRules()
			loading.ExplicitPath = kubeconfig
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, nil).ClientConfig()
			if err != nil {
				return fmt.Errorf("loading kubeconfig: %w", err)
			}
			opts.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return Run(ctx, cfg, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default $KUBECONFIG, then ~/.kube/config)")
	flags.StringVar(&opts.NodeName, "node-name", DefaultNodeName, "name of the Node to register and bind pods to")
	flags.StringArrayVar(&maps, "map", nil, "NAME=BINARY: run BINARY for containers whose image is NAME (repeatable)")
	flags.StringVar(&opts.Selector, "selector", DefaultSelector, "label selector of the pods to run")
	flags.StringVar(&opts.Namespace, "namespace", "", "only run pods in this namespace (default all)")
	flags.StringVar(&opts.LogDir, "log-dir", "", "directory for per-pod logs and termination messages (default $TMPDIR/podrunner-<node>)")
	flags.StringSliceVar(&opts.PassEnv, "pass-env", []string{"PATH"}, "variables of podrunner's own environment given to every container")
	return cmd
}
