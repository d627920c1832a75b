// Package v1alpha1 contains the BackfillCampaign and BackfillMonth API of the
// alexandria.ooheynerds.com group.
// +kubebuilder:object:generate=true
// +groupName=alexandria.ooheynerds.com
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of these kinds.
	GroupVersion = schema.GroupVersion{Group: "alexandria.ooheynerds.com", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
