// Package v1alpha1 contains the BackfillCampaign and BackfillMonth API of the
// alexandria.ooheynerds.com group.
// +kubebuilder:object:generate=true
// +groupName=alexandria.ooheynerds.com
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of these kinds.
	GroupVersion = schema.GroupVersion{Group: "alexandria.ooheynerds.com", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &BackfillCampaign{}, &BackfillCampaignList{}, &BackfillMonth{}, &BackfillMonthList{},
		&BackfillBudget{}, &BackfillBudgetList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
