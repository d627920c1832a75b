package plugin

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/spf13/cobra"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// AttemptPodSelector selects the pods of one attempt of a month, by the labels the operator
// puts on each attempt's Job and pod template.
func AttemptPodSelector(month string, attempt int32) labels.Selector {
	return labels.SelectorFromSet(labels.Set{v1alpha1.LabelMonth: month, v1alpha1.LabelAttempt: strconv.Itoa(int(attempt))})
}

// PickPod chooses the pod whose log is the attempt's: the newest one (a Job may have replaced
// a pod that vanished), and among pods of the same age the one that ran furthest.
func PickPod(pods []corev1.Pod) *corev1.Pod {
	if len(pods) == 0 {
		return nil
	}
	rank := func(p *corev1.Pod) int {
		switch p.Status.Phase {
		case corev1.PodSucceeded, corev1.PodFailed:
			return 3
		case corev1.PodRunning:
			return 2
		case corev1.PodPending:
			return 1
		}
		return 0
	}
	sorted := append([]corev1.Pod(nil), pods...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := &sorted[i], &sorted[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return b.CreationTimestamp.Before(&a.CreationTimestamp)
		}
		if rank(a) != rank(b) {
			return rank(a) > rank(b)
		}
		return a.Name > b.Name
	})
	return &sorted[0]
}

func (a *app) logsCommand() *cobra.Command {
	var attempt int32
	var follow bool
	var tail int64 = -1
	var container string
	cmd := &cobra.Command{
		Use:   "logs MONTH",
		Short: "The worker log of a month's latest attempt (or --attempt N)",
		Example: `  kubectl backfill logs alexandria-2020-11
  kubectl backfill logs alexandria-2020-11 --attempt 1 --tail 50`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeMonths,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := a.clientAndNamespace()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			var m v1alpha1.BackfillMonth
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: args[0]}, &m); err != nil {
				return fmt.Errorf("reading month %s/%s: %w", ns, args[0], err)
			}
			n := attempt
			if n == 0 {
				n = m.Status.Attempts
			}
			if n <= 0 {
				return fmt.Errorf("month %s has not started an attempt yet (state %s)", m.Name, m.EffectiveState())
			}
			if n > m.Status.Attempts {
				return fmt.Errorf("month %s has started %d attempt(s); there is no attempt %d", m.Name, m.Status.Attempts, n)
			}
			var pods corev1.PodList
			if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: AttemptPodSelector(m.Name, n)}); err != nil {
				return fmt.Errorf("listing the pods of attempt %d of %s: %w", n, m.Name, err)
			}
			pod := PickPod(pods.Items)
			if pod == nil {
				msg := fmt.Sprintf("no pod of attempt %d of %s is left (a Job's pods go with the Job)", n, m.Name)
				for _, h := range m.Status.History {
					if h.Attempt == n && h.Message != "" {
						msg += "; the attempt's record says: " + string(h.Outcome) + ": " + h.Message
					}
				}
				return fmt.Errorf("%s", msg)
			}
			cs, err := a.clientset()
			if err != nil {
				return err
			}
			opts := &corev1.PodLogOptions{Follow: follow, Container: container}
			if tail >= 0 {
				opts.TailLines = ptr.To(tail)
			}
			fmt.Fprintf(a.Streams.ErrOut, "attempt %d of %s, pod %s (%s)\n", n, m.Name, pod.Name, pod.Status.Phase)
			stream, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, opts).Stream(ctx)
			if err != nil {
				return fmt.Errorf("reading the log of pod %s: %w", pod.Name, err)
			}
			defer stream.Close()
			_, err = io.Copy(a.Streams.Out, stream)
			return err
		},
	}
	cmd.Flags().Int32Var(&attempt, "attempt", 0, "the attempt number (default: the latest)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "stream the log while the attempt runs")
	cmd.Flags().Int64Var(&tail, "tail", tail, "only the last N lines (-1: all)")
	cmd.Flags().StringVarP(&container, "container", "c", "", "the container (default: the pod's only or first container, the worker)")
	return cmd
}
