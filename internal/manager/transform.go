package manager

import (
	"unique"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// lastApplied is kubectl's copy of the whole object in an annotation: as large as the spec,
// and never read by the operator.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trimForCache drops from every cached object what the controllers never read: managedFields
// (about half of a stored month) and kubectl's last-applied copy. The informers hold each
// object for the life of the manager, so this is most of the memory a month costs.
// Writes are unaffected: updates carry no managedFields, and the API server keeps its own.
// A month's strings that thousands of months share (namespace, labels, owner, phase,
// condition types, reasons and messages) are interned: one copy instead of one per month.
func trimForCache() toolscache.TransformFunc {
	return func(obj any) (any, error) {
		// tombstones (DeletedFinalStateUnknown) are passed through untouched
		a, err := meta.Accessor(obj)
		if err != nil {
			return obj, nil
		}
		a.SetManagedFields(nil)
		if ann := a.GetAnnotations(); ann != nil {
			if _, ok := ann[lastApplied]; ok {
				delete(ann, lastApplied)
				a.SetAnnotations(ann)
			}
		}
		if m, ok := obj.(*v1alpha1.BackfillMonth); ok {
			internMonth(m)
		}
		return obj, nil
	}
}

func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

func internMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[intern(k)] = intern(v)
	}
	return out
}

func internMonth(m *v1alpha1.BackfillMonth) {
	m.Namespace = intern(m.Namespace)
	m.Labels = internMap(m.Labels)
	for i := range m.OwnerReferences {
		o := &m.OwnerReferences[i]
		o.APIVersion, o.Kind, o.Name, o.UID = intern(o.APIVersion), intern(o.Kind), intern(o.Name), internUID(o.UID)
	}
	m.Spec.Campaign, m.Spec.Phase = intern(m.Spec.Campaign), intern(m.Spec.Phase)
	m.Spec.PromptVariant = v1alpha1.PromptVariant(intern(string(m.Spec.PromptVariant)))
	m.Status.State = v1alpha1.MonthState(intern(string(m.Status.State)))
	internConditions(m.Status.Conditions)
}

func internUID[T ~string](s T) T { return T(intern(string(s))) }

func internConditions(cs []metav1.Condition) {
	for i := range cs {
		c := &cs[i]
		c.Type, c.Reason, c.Message = intern(c.Type), intern(c.Reason), intern(c.Message)
		c.Status = metav1.ConditionStatus(intern(string(c.Status)))
	}
}
