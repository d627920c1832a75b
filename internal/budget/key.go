// Package budget shares the daily budget of a paid-source API key between the campaigns that
// use it. ISBNdb's quota belongs to the key (the account), so every campaign of a namespace
// whose ISBNdb apiKeySecretRef names the same Secret key spends from one day, pauses together
// when the provider reports the quota exhausted, and takes its turn by priority and then by
// how little it has been admitted today. Allocate is the pure decision; Ledger serializes the
// decisions per key inside the manager and remembers the admissions it granted until the
// informer cache shows them.
package budget

import (
	"fmt"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Key identifies a paid-source account: one key of one Secret in one namespace. It names the
// key only; the operator never reads the Secret.
type Key struct {
	Namespace, Secret, Name string
}

func (k Key) String() string { return fmt.Sprintf("%s/%s key %s", k.Namespace, k.Secret, k.Name) }

// KeyOf is the ISBNdb key a campaign's workers use, if it names one.
func KeyOf(c *v1alpha1.BackfillCampaign) (Key, bool) {
	ref := c.Spec.ISBNdbKey()
	if ref == nil {
		return Key{}, false
	}
	return Key{Namespace: c.Namespace, Secret: ref.Name, Name: ref.Key}, true
}

// KeyOfBudget is the key a BackfillBudget limits.
func KeyOfBudget(b *v1alpha1.BackfillBudget) Key {
	return Key{Namespace: b.Namespace, Secret: b.Spec.SecretKeyRef.Name, Name: b.Spec.SecretKeyRef.Key}
}

// Governing picks, among the budgets of a namespace, those naming the key, and the one whose
// limit is in force: the strictest (then the oldest name), since two budgets cannot both hold
// one account. It returns nil when no budget names the key.
func Governing(key Key, budgets []v1alpha1.BackfillBudget) (gov *v1alpha1.BackfillBudget, naming []*v1alpha1.BackfillBudget) {
	for i := range budgets {
		b := &budgets[i]
		if !b.DeletionTimestamp.IsZero() || KeyOfBudget(b) != key {
			continue
		}
		naming = append(naming, b)
		if gov == nil || b.Spec.EffectiveISBNdbCallsPerDay() < gov.Spec.EffectiveISBNdbCallsPerDay() ||
			(b.Spec.EffectiveISBNdbCallsPerDay() == gov.Spec.EffectiveISBNdbCallsPerDay() && b.Name < gov.Name) {
			gov = b
		}
	}
	return gov, naming
}
