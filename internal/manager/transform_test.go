package manager

import (
	"testing"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

func TestTrimForCache(t *testing.T) {
	fields := []metav1.ManagedFieldsEntry{{Manager: "backfill-operator", Operation: metav1.ManagedFieldsOperationUpdate}}
	month := &v1alpha1.BackfillMonth{ObjectMeta: metav1.ObjectMeta{
		Name: "m", ManagedFields: fields,
		Annotations: map[string]string{lastApplied: `{"spec":{}}`, v1alpha1.AnnotationFirstAdmittedAt: "2026-01-01T00:00:00Z"},
	}, Spec: v1alpha1.BackfillMonthSpec{Year: 2008, Month: 9}}
	campaign := &unstructured.Unstructured{}
	campaign.SetName("c")
	campaign.SetManagedFields(fields)
	campaign.SetAnnotations(map[string]string{lastApplied: "{}"})
	tombstone := toolscache.DeletedFinalStateUnknown{Key: "ns/m", Obj: month}

	trim := trimForCache()
	for _, obj := range []any{month, campaign, tombstone} {
		got, err := trim(obj)
		if err != nil {
			t.Fatalf("%T: %v", obj, err)
		}
		if _, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			if got != obj {
				t.Errorf("tombstone changed: %#v", got)
			}
			continue
		}
		a := got.(metav1.Object)
		if len(a.GetManagedFields()) != 0 {
			t.Errorf("%T keeps managedFields", obj)
		}
		if _, ok := a.GetAnnotations()[lastApplied]; ok {
			t.Errorf("%T keeps the last-applied annotation", obj)
		}
	}
	if month.Annotations[v1alpha1.AnnotationFirstAdmittedAt] == "" || month.Spec.Year != 2008 {
		t.Errorf("trimmed what the controllers read: %+v", month)
	}
}

func TestTrimForCacheInternsSharedMonthStrings(t *testing.T) {
	month := func() *v1alpha1.BackfillMonth {
		return &v1alpha1.BackfillMonth{
			ObjectMeta: metav1.ObjectMeta{Name: "c-2008-09", Namespace: string([]byte("books")),
				Labels:          map[string]string{v1alpha1.LabelCampaign: string([]byte("c"))},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v", Kind: "BackfillCampaign", Name: string([]byte("c")), UID: "u"}}},
			Status: v1alpha1.BackfillMonthStatus{Conditions: []metav1.Condition{{Type: "Ready", Status: "False", Reason: "Pending", Message: string([]byte("waiting for admission"))}}},
		}
	}
	trim := trimForCache()
	a, _ := trim(month())
	b, _ := trim(month())
	ma, mb := a.(*v1alpha1.BackfillMonth), b.(*v1alpha1.BackfillMonth)
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if !same(ma.Namespace, mb.Namespace) || !same(ma.Status.Conditions[0].Message, mb.Status.Conditions[0].Message) ||
		!same(ma.Labels[v1alpha1.LabelCampaign], mb.Labels[v1alpha1.LabelCampaign]) || !same(ma.OwnerReferences[0].Name, mb.OwnerReferences[0].Name) {
		t.Error("two months keep separate copies of the strings they share")
	}
	if ma.Name == "" || ma.Labels[v1alpha1.LabelCampaign] != "c" || ma.Status.Conditions[0].Message != "waiting for admission" {
		t.Errorf("interning changed values: %+v", ma)
	}
}
