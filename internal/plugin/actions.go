package plugin

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

type printFlag struct{ print bool }

func (f *printFlag) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.print, "print", false, "print the YAML to commit to Git instead of changing the cluster")
}

func (a *app) approveCommand() *cobra.Command {
	var pf printFlag
	cmd := &cobra.Command{
		Use:   "approve CAMPAIGN PHASE",
		Short: "Approve a Manual-approval phase: add it to spec.approvedPhases",
		Example: `  kubectl backfill approve alexandria recent
  kubectl backfill approve alexandria recent --print   # the change to commit when Argo CD manages the campaign`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return a.completeCampaigns(cmd, args, prefix)
			}
			return a.completePhases(cmd, args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeCampaign(cmd, args[0], pf, func(c *v1alpha1.BackfillCampaign) (string, error) {
				phase := args[1]
				i := slices.IndexFunc(c.Spec.Phases, func(p v1alpha1.Phase) bool { return p.Name == phase })
				switch {
				case i < 0:
					var names []string
					for _, p := range c.Spec.Phases {
						names = append(names, p.Name)
					}
					return "", fmt.Errorf("campaign %s has no phase %q (phases: %v)", c.Name, phase, names)
				case slices.Contains(c.Spec.ApprovedPhases, phase):
					return fmt.Sprintf("phase %s of %s is already approved", phase, c.Name), nil
				case i == 0 || c.Spec.Phases[i].Approval != v1alpha1.ApprovalManual:
					return fmt.Sprintf("phase %s of %s needs no approval: it starts when the phase before it passes its gate", phase, c.Name), nil
				}
				c.Spec.ApprovedPhases = append(c.Spec.ApprovedPhases, phase)
				return "", nil
			}, func(c *v1alpha1.BackfillCampaign) any {
				return map[string]any{"spec": map[string]any{"approvedPhases": c.Spec.ApprovedPhases}}
			}, "approved phase "+args[1]+" of")
		},
	}
	pf.add(cmd)
	return cmd
}

func (a *app) suspendCommand(suspend bool) *cobra.Command {
	var pf printFlag
	use, short, done := "resume CAMPAIGN", "Resume admitting months (spec.suspend: false)", "resumed"
	if suspend {
		use, short, done = "suspend CAMPAIGN", "Stop admitting months (spec.suspend: true); running Jobs finish", "suspended"
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeCampaigns,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeCampaign(cmd, args[0], pf, func(c *v1alpha1.BackfillCampaign) (string, error) {
				if c.Spec.Suspend == suspend {
					return fmt.Sprintf("campaign %s is already %s", c.Name, done), nil
				}
				c.Spec.Suspend = suspend
				return "", nil
			}, func(c *v1alpha1.BackfillCampaign) any {
				return map[string]any{"spec": map[string]any{"suspend": suspend}}
			}, done)
		},
	}
	pf.add(cmd)
	return cmd
}

// changeCampaign reads the campaign, lets change edit its spec (or say why nothing needs to
// change), and then either prints what to commit (--print) or merge-patches the spec with the
// resourceVersion it read, so a concurrent edit is refused rather than overwritten. When Argo
// CD manages the campaign it says that a change made only in the cluster is reverted.
func (a *app) changeCampaign(cmd *cobra.Command, name string, pf printFlag,
	change func(*v1alpha1.BackfillCampaign) (unchanged string, err error), inGit func(*v1alpha1.BackfillCampaign) any, done string) error {
	c, ns, err := a.clientAndNamespace()
	if err != nil {
		return err
	}
	ctx := ctxOf(cmd)
	bfc, err := getCampaign(ctx, c, ns, name)
	if err != nil {
		return err
	}
	before := bfc.DeepCopy()
	unchanged, err := change(bfc)
	if err != nil {
		return err
	}
	if unchanged != "" {
		fmt.Fprintln(a.Streams.Out, unchanged)
		return nil
	}
	if pf.print {
		return printForGit(a.Streams.Out, bfc, inGit(bfc))
	}
	if err := c.Patch(ctx, bfc, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("changing campaign %s/%s: %w", ns, name, err)
	}
	fmt.Fprintf(a.Streams.Out, "backfillcampaign.alexandria.ooheynerds.com/%s %s\n", name, done)
	if app, ok := ArgoCDApp(bfc); ok {
		fmt.Fprintln(a.Streams.ErrOut, argoNote(app, "campaign "+name))
	}
	return nil
}

// argoNote warns that Argo CD reverts a change made only in the cluster.
func argoNote(app, what string) string {
	return fmt.Sprintf("Note: Argo CD application %q manages %s: a change that is not in Git is reverted by the next sync "+
		"(at once with self-heal). Run the command again with --print for the YAML to commit.", app, what)
}

// printForGit writes the fields to set in the campaign's manifest in Git.
func printForGit(w io.Writer, c *v1alpha1.BackfillCampaign, fields any) error {
	data, err := yaml.Marshal(fields)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# In the manifest of BackfillCampaign %s (namespace %s), set:\n", c.Name, c.Namespace)
	_, err = w.Write(data)
	return err
}

func (a *app) completePhases(cmd *cobra.Command, campaign string) ([]string, cobra.ShellCompDirective) {
	c, ns, err := a.clientAndNamespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	bfc, err := getCampaign(ctxOf(cmd), c, ns, campaign)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for i, p := range bfc.Spec.Phases {
		if i > 0 && p.Approval == v1alpha1.ApprovalManual && !slices.Contains(bfc.Spec.ApprovedPhases, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
