package plugin

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

func getCampaign(ctx context.Context, c client.Client, ns, name string) (*v1alpha1.BackfillCampaign, error) {
	var bfc v1alpha1.BackfillCampaign
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &bfc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("campaign %s not found in namespace %s (kubectl get bfc -A lists them)", name, ns)
		}
		return nil, fmt.Errorf("reading campaign %s/%s: %w", ns, name, err)
	}
	return &bfc, nil
}

// listMonths lists months in ns (every namespace when ns is empty), of one campaign when
// campaign is set, newest month first within each namespace and campaign.
func listMonths(ctx context.Context, c client.Client, ns, campaign string) ([]v1alpha1.BackfillMonth, error) {
	var list v1alpha1.BackfillMonthList
	opts := []client.ListOption{}
	if ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if campaign != "" {
		opts = append(opts, client.MatchingLabels{v1alpha1.LabelCampaign: campaign})
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("listing months: %w", err)
	}
	items := list.Items
	if campaign != "" { // the label is the operator's; the spec is the month's identity
		kept := items[:0]
		for _, m := range items {
			if m.Spec.Campaign == campaign {
				kept = append(kept, m)
			}
		}
		items = kept
	}
	sortMonths(items)
	return items, nil
}

func sortMonths(items []v1alpha1.BackfillMonth) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := &items[i], &items[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Spec.Campaign != b.Spec.Campaign {
			return a.Spec.Campaign < b.Spec.Campaign
		}
		if a.Spec.Year != b.Spec.Year {
			return a.Spec.Year > b.Spec.Year
		}
		if a.Spec.Month != b.Spec.Month {
			return a.Spec.Month > b.Spec.Month
		}
		return a.Name < b.Name
	})
}
