package manager

import (
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
)

// lastApplied is kubectl's copy of the whole object in an annotation: as large as the spec,
// and never read by the operator.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trimForCache drops from every cached object what the controllers never read: managedFields
// (about half of a stored month) and kubectl's last-applied copy. The informers hold each
// object for the life of the manager, so this is most of the memory a month costs.
// Writes are unaffected: updates carry no managedFields, and the API server keeps its own.
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
		return obj, nil
	}
}
