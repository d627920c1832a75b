package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

// RerunCampaign is the small campaign the demo lets fail in a provider outage and then reruns.
const RerunCampaign = "rerun-demo"

// kubectlBackfill runs the kubectl plugin against the demo's cluster, as a user would type
// `kubectl backfill ARGS -n backfill-demo`, printing to out.
func kubectlBackfill(ctx context.Context, sys *localsystem.System, out io.Writer, say func(string, ...any), args ...string) error {
	say("$ kubectl backfill %s -n %s", strings.Join(args, " "), Namespace)
	full := append([]string{"--kubeconfig", sys.Cluster.Kubeconfig, "-n", Namespace}, args...)
	return plugin.Run(ctx, genericiooptions.IOStreams{In: os.Stdin, Out: out, ErrOut: out}, full...)
}

// demonstrateRerun shows the most common day-to-day operation: months that failed in a provider
// outage are run again once it is over. Both models answer 503 while the campaign's months
// run (one attempt each, so they fail for good), the outage is lifted, `kubectl backfill rerun
// --state Failed` asks for one more run of each, and they complete with their history kept.
func demonstrateRerun(ctx context.Context, sys *localsystem.System, out io.Writer, say func(string, ...any), timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	outage := fakes.Faults{ErrorRate: 1}
	for _, p := range []string{fakes.ProviderGemini, fakes.ProviderXAI} {
		if err := sys.Fakes.SetFaults(p, outage); err != nil {
			return err
		}
	}
	say("rerun: both model providers now answer 503; applying campaign %s (2019-01..03, one attempt per month)", RerunCampaign)
	c := sys.Campaign(Namespace, RerunCampaign, localsystem.Phase("outage", 2019, 1, 3, 3))
	c.Spec.Retry.MaxAttempts = 1
	if err := sys.Client.Create(ctx, c); err != nil {
		return fmt.Errorf("creating %s: %w", RerunCampaign, err)
	}
	if err := waitMonths(ctx, sys, 3, v1alpha1.MonthFailed); err != nil {
		return err
	}
	if err := kubectlBackfill(ctx, sys, out, say, "months", RerunCampaign); err != nil {
		return err
	}
	for _, p := range []string{fakes.ProviderGemini, fakes.ProviderXAI} {
		if err := sys.Fakes.SetFaults(p, fakes.Faults{}); err != nil {
			return err
		}
	}
	say("rerun: the outage is over; asking for one more run of every failed month")
	if err := kubectlBackfill(ctx, sys, out, say, "rerun", RerunCampaign, "--state", "Failed"); err != nil {
		return err
	}
	if err := waitMonths(ctx, sys, 3, v1alpha1.MonthCompleted); err != nil {
		return err
	}
	if err := kubectlBackfill(ctx, sys, out, say, "months", RerunCampaign, "-o", "wide"); err != nil {
		return err
	}
	return kubectlBackfill(ctx, sys, out, say, "status", RerunCampaign)
}

// waitMonths waits until the rerun campaign has n months, all in state.
func waitMonths(ctx context.Context, sys *localsystem.System, n int, state v1alpha1.MonthState) error {
	for {
		var list v1alpha1.BackfillMonthList
		if err := sys.Client.List(ctx, &list, client.InNamespace(Namespace), client.MatchingLabels{v1alpha1.LabelCampaign: RerunCampaign}); err != nil {
			return err
		}
		in := 0
		for _, m := range list.Items {
			if m.EffectiveState() == state {
				in++
			}
		}
		if len(list.Items) == n && in == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d months of %s to be %s (%d are): %w", n, RerunCampaign, state, in, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
