// Package scheme is the one runtime.Scheme of the kinds the operator and its kubectl plugin
// read and write: Kubernetes' own and the operator's.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// New returns a scheme that knows the built-in kinds and the operator's.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}
