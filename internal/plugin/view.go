package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plugin/render"
)

func (a *app) statusCommand() *cobra.Command {
	var wf watchFlags
	errs := 5
	cmd := &cobra.Command{
		Use:   "status CAMPAIGN",
		Short: "Where a campaign stands: phases and gates, months by state, totals, budget, next admission, ETA, last errors",
		Example: `  kubectl backfill status alexandria
  kubectl backfill status alexandria -n books --watch`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeCampaigns,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.showCampaign(cmd, wf, args[0], func(buf *bytes.Buffer, st render.Style, bfc *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth) {
				render.Status(buf, bfc, months, st, render.StatusOptions{Now: a.Now(), Errors: errs})
			})
		},
	}
	wf.add(cmd)
	cmd.Flags().IntVar(&errs, "errors", errs, "how many of the latest failures to list")
	return cmd
}

func (a *app) heatmapCommand() *cobra.Command {
	var wf watchFlags
	cmd := &cobra.Command{
		Use:   "heatmap CAMPAIGN",
		Short: "A calendar of the campaign's months: one row per year, cells by state, completed months shaded by resolution rate",
		Long: `heatmap draws one row per year and one cell per month. Completed months are shaded by their
resolution rate; other states have their own cell. Without colour (NO_COLOR set, --color never,
or output that is not a terminal) every state and rate band has its own characters.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeCampaigns,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.showCampaign(cmd, wf, args[0], func(buf *bytes.Buffer, st render.Style, bfc *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth) {
				render.Heatmap(buf, bfc.Name, months, st)
			})
		},
	}
	wf.add(cmd)
	return cmd
}

// showCampaign draws one view of a campaign and its months, once or on every --watch tick.
func (a *app) showCampaign(cmd *cobra.Command, wf watchFlags, name string,
	view func(buf *bytes.Buffer, st render.Style, bfc *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth)) error {
	st, err := a.style()
	if err != nil {
		return err
	}
	c, ns, err := a.clientAndNamespace()
	if err != nil {
		return err
	}
	return a.show(cmd, wf, func(buf *bytes.Buffer) error {
		ctx := ctxOf(cmd)
		bfc, err := getCampaign(ctx, c, ns, name)
		if err != nil {
			return err
		}
		months, err := listMonths(ctx, c, ns, bfc.Name)
		if err != nil {
			return err
		}
		view(buf, st, bfc, months)
		return nil
	})
}

func (a *app) monthsCommand() *cobra.Command {
	var ff filterFlags
	var all, noHeaders bool
	var output string
	cmd := &cobra.Command{
		Use:   "months [CAMPAIGN]",
		Short: "The months table, filtered by state, phase, year or resolution rate",
		Example: `  kubectl backfill months alexandria --state Failed,Retry
  kubectl backfill months -A --below-rate 80 -o wide
  kubectl backfill months alexandria --phase validate -o name`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeCampaigns,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			if !slices.Contains([]string{"", "wide", "json", "yaml", "name"}, output) {
				return fmt.Errorf("-o must be wide, json, yaml or name, not %q", output)
			}
			c, ns, err := a.clientAndNamespace()
			if err != nil {
				return err
			}
			if all {
				ns = ""
			}
			campaign := ""
			if len(args) == 1 {
				campaign = args[0]
			}
			months, err := listMonths(ctxOf(cmd), c, ns, campaign)
			if err != nil {
				return err
			}
			months = f.Apply(months)
			return a.printMonths(months, output, all, noHeaders)
		},
	}
	ff.add(cmd)
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "months of every namespace")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: wide, json, yaml or name")
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "print the table without its header")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"wide", "json", "yaml", "name"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions([]string{"Pending", "Processing", "Retry", "Completed", "Failed"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) printMonths(months []v1alpha1.BackfillMonth, output string, allNamespaces, noHeaders bool) error {
	out := a.Streams.Out
	gvk := v1alpha1.GroupVersion.WithKind("BackfillMonth")
	for i := range months {
		months[i].SetGroupVersionKind(gvk)
		months[i].ManagedFields = nil
	}
	switch output {
	case "", "wide":
		if len(months) == 0 {
			fmt.Fprintln(a.Streams.ErrOut, "No months found.")
			return nil
		}
		return render.MonthsTable(out, months, render.MonthsTableOptions{Now: a.Now(), Wide: output == "wide", WithNamespace: allNamespaces, NoHeaders: noHeaders})
	case "name":
		p := printers.NamePrinter{}
		for i := range months {
			if err := p.PrintObj(&months[i], out); err != nil {
				return err
			}
		}
		return nil
	}
	list := &v1alpha1.BackfillMonthList{Items: months}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillMonthList"))
	if list.Items == nil {
		list.Items = []v1alpha1.BackfillMonth{}
	}
	if output == "json" {
		data, err := json.MarshalIndent(list, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(data))
		return err
	}
	return (&printers.YAMLPrinter{}).PrintObj(list, out)
}
