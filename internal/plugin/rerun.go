package plugin

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// AnnotationRerun asks the operator to run a finished month again (see v1alpha1.AnnotationRerun):
// each new token is honoured once.
const AnnotationRerun = v1alpha1.AnnotationRerun

// RerunToken is a fresh token: the request's time, to the nanosecond, so two requests differ
// and a person reading the annotation sees when it was asked for.
func RerunToken(now time.Time) string { return now.UTC().Format("20060102T150405.000000000Z") }

// Rerunnable reports whether a month can be asked to run again: only a finished month; one
// that is pending, running or retrying is already going to run.
func Rerunnable(m *v1alpha1.BackfillMonth) bool { return m.EffectiveState().Finished() }

func (a *app) rerunCommand() *cobra.Command {
	var ff filterFlags
	var pf printFlag
	cmd := &cobra.Command{
		Use:   "rerun (MONTH... | CAMPAIGN --state STATE|--below-rate N [--phase P] [--year Y])",
		Short: "Run finished months again: by name, or a campaign's months selected by state, phase, year or resolution rate",
		Long: `rerun sets a fresh alexandria.ooheynerds.com/rerun token on each selected month. The operator
honours each new token once: the month goes back through admission (concurrency, budget, gate and
suspend apply), keeps its attempt history and continues its attempt numbering. Only finished months
(Completed, Failed) are rerun; others are skipped with a note.`,
		Example: `  kubectl backfill rerun alexandria-2020-11 alexandria-2020-07
  kubectl backfill rerun alexandria --state Failed
  kubectl backfill rerun alexandria --phase validate --below-rate 80`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeMonths,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			c, ns, err := a.clientAndNamespace()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			var months []v1alpha1.BackfillMonth
			var campaign *v1alpha1.BackfillCampaign
			if f.empty() {
				for _, name := range args {
					var m v1alpha1.BackfillMonth
					if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &m); err != nil {
						return fmt.Errorf("reading month %s/%s: %w", ns, name, err)
					}
					months = append(months, m)
				}
			} else {
				if len(args) != 1 {
					return errors.New("with --state, --phase, --year or --below-rate, give one CAMPAIGN and no month names")
				}
				if len(f.States) == 0 && f.BelowRate == nil {
					return errors.New("say which months to rerun with --state (for example Failed) or --below-rate N")
				}
				if campaign, err = getCampaign(ctx, c, ns, args[0]); err != nil {
					return err
				}
				all, err := listMonths(ctx, c, ns, campaign.Name)
				if err != nil {
					return err
				}
				months = f.Apply(all)
			}
			token := RerunToken(a.Now())
			var selected []v1alpha1.BackfillMonth
			for _, m := range months {
				if !Rerunnable(&m) {
					fmt.Fprintf(a.Streams.ErrOut, "skipped %s: it is %s; only Completed and Failed months are rerun\n", m.Name, m.EffectiveState())
					continue
				}
				selected = append(selected, m)
			}
			if len(selected) == 0 {
				return errors.New("no finished month selected: nothing to rerun")
			}
			if pf.print {
				return printRerunPatches(a, selected, token)
			}
			for i := range selected {
				m := &selected[i]
				patch := client.RawPatch(client.Merge.Type(), fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, AnnotationRerun, token))
				if err := c.Patch(ctx, m, patch); err != nil {
					return fmt.Errorf("requesting a rerun of %s: %w", m.Name, err)
				}
				fmt.Fprintf(a.Streams.Out, "backfillmonth.alexandria.ooheynerds.com/%s rerun requested (was %s)\n", m.Name, m.EffectiveState())
			}
			if campaign == nil && len(selected) > 0 {
				campaign, _ = getCampaign(ctx, c, ns, selected[0].Spec.Campaign)
			}
			if campaign != nil {
				if app, ok := ArgoCDApp(campaign); ok {
					fmt.Fprintf(a.Streams.ErrOut, "Note: Argo CD application %q manages campaign %s but not its months, so this request stays; "+
						"a rerun recorded in Git belongs in the campaign's spec.reruns.\n", app, campaign.Name)
				}
			}
			return nil
		},
	}
	ff.add(cmd)
	pf.add(cmd)
	return cmd
}

// printRerunPatches prints the merge patch for each month, as YAML documents that
// `kubectl patch --type merge` takes.
func printRerunPatches(a *app, months []v1alpha1.BackfillMonth, token string) error {
	for i, m := range months {
		if i > 0 {
			fmt.Fprintln(a.Streams.Out, "---")
		}
		fmt.Fprintf(a.Streams.Out, "# kubectl -n %s patch backfillmonth %s --type merge --patch-file <this document>\n", m.Namespace, m.Name)
		data, err := yaml.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationRerun: token}}})
		if err != nil {
			return err
		}
		_, _ = a.Streams.Out.Write(data)
	}
	return nil
}
