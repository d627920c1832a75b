package plugin

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

func (a *app) clientAndNamespace() (cl client.Client, ns string, err error) {
	if cl, err = a.client(); err != nil {
		return nil, "", err
	}
	ns, err = a.namespace()
	return cl, ns, err
}

// completeCampaigns offers the names of the namespace's campaigns (first argument only).
func (a *app) completeCampaigns(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, ns, err := a.clientAndNamespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var list v1alpha1.BackfillCampaignList
	if err := c.List(ctxOf(cmd), &list, client.InNamespace(ns)); err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, bfc := range list.Items {
		if strings.HasPrefix(bfc.Name, prefix) {
			names = append(names, bfc.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeMonths offers the names of the namespace's months (every argument).
func (a *app) completeMonths(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	c, ns, err := a.clientAndNamespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	months, err := listMonths(ctxOf(cmd), c, ns, "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, m := range months {
		if strings.HasPrefix(m.Name, prefix) && !slices.Contains(args, m.Name) {
			names = append(names, m.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
