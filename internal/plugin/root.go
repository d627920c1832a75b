// Package plugin is `kubectl backfill`: it reads campaigns and months for a person (status,
// months, heatmap), previews a campaign's plan without a cluster, and steers campaigns
// (approve, suspend, resume, rerun) and reads attempt logs. Flags that select the cluster and
// namespace are kubectl's own (k8s.io/cli-runtime), so -n, -A, --context and --kubeconfig
// behave as in kubectl.
package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/internal/plugin/render"
	"github.com/ooheynerds/backfill-operator/internal/scheme"
	"github.com/ooheynerds/backfill-operator/internal/version"
)

// Options are what the plugin takes from its surroundings; tests replace them.
type Options struct {
	Streams genericiooptions.IOStreams
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Getenv reads the environment (os.Getenv when nil), for NO_COLOR.
	Getenv func(string) string
	// IsTerminal reports whether w is a terminal (a check of the file descriptor when nil).
	IsTerminal func(w io.Writer) bool
	// MaxFrames stops --watch after this many frames (0: until interrupted).
	MaxFrames int
}

type app struct {
	Options
	flags *genericclioptions.ConfigFlags
	color string
}

// NewCommand builds the kubectl-backfill command tree.
func NewCommand(o Options) *cobra.Command {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.IsTerminal == nil {
		o.IsTerminal = isTerminal
	}
	a := &app{Options: o, flags: genericclioptions.NewConfigFlags(true)}
	root := &cobra.Command{
		Use:   "kubectl-backfill",
		Short: "Watch and steer backfill-operator campaigns",
		Long: `kubectl backfill shows BackfillCampaigns and their months for a person (status, months,
heatmap), previews a campaign's plan without a cluster (plan), and steers campaigns (approve,
suspend, resume, rerun) and reads attempt logs (logs).`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl backfill"},
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	a.flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(&a.color, "color", "auto", "colour output: auto (a terminal without NO_COLOR), always or never")
	root.AddCommand(a.statusCommand(), a.monthsCommand(), a.heatmapCommand(), a.planCommand(),
		a.approveCommand(), a.suspendCommand(true), a.suspendCommand(false), a.rerunCommand(), a.logsCommand())
	return root
}

// Scheme holds the kinds the plugin reads: Kubernetes' own and the operator's.
func Scheme() *runtime.Scheme { return scheme.New() }

func (a *app) client() (client.Client, error) {
	cfg, err := a.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: Scheme()})
}

func (a *app) clientset() (kubernetes.Interface, error) {
	cfg, err := a.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// namespace is -n, else the kubeconfig context's namespace, else default.
func (a *app) namespace() (string, error) {
	ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// style decides colour: --color always/never, else a terminal without NO_COLOR (no-color.org).
func (a *app) style() (render.Style, error) {
	switch a.color {
	case "always":
		return render.Style{Color: true}, nil
	case "never":
		return render.Style{}, nil
	case "auto", "":
		return render.Style{Color: a.Getenv("NO_COLOR") == "" && a.IsTerminal(a.Streams.Out)}, nil
	}
	return render.Style{}, fmt.Errorf("--color must be auto, always or never, not %q", a.color)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// Run runs one kubectl-backfill command line in-process (for the demo and other tools that
// show what the plugin shows without building it), e.g. Run(ctx, streams, "--kubeconfig", kc,
// "-n", ns, "status", "alexandria").
func Run(ctx context.Context, streams genericiooptions.IOStreams, args ...string) error {
	cmd := NewCommand(Options{Streams: streams})
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}
