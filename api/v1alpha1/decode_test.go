package v1alpha1

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestDecodeCampaignNamesTheFieldItCannotInterpret(t *testing.T) {
	const head = "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: c, namespace: books}\n"
	tests := []struct{ name, spec, field, cause string }{
		{"valid", "spec: {phases: [{name: p, years: {from: 2020, to: 2020}, monthsPerDay: 1, maxConcurrent: 1}], job: {pendingDeadline: 15m}}", "", ""},
		{"duration that does not parse", "spec: {job: {pendingDeadline: abc}}", "spec.job.pendingDeadline", "invalid duration"},
		{"duration in a list element", "spec: {phases: [{name: a}], retry: {backoffCap: 1d}}", "spec.retry.backoffCap", "unknown unit"},
		{"number too large for int32", "spec: {phases: [{name: p, years: {from: 2020, to: 2020}, monthsPerDay: 99999999999, maxConcurrent: 1}]}", "spec.phases[0].monthsPerDay", "cannot hold number"},
		{"string where a number belongs", "spec: {booksPerMonth: twenty}", "spec.booksPerMonth", "cannot hold string"},
		{"quantity that does not parse", "spec: {job: {resources: {limits: {memory: lots}}}}", "spec.job.resources.limits[memory]", "quantities must match"},
		{"object where a list belongs", "spec: {phases: {name: p}}", "spec.phases", "cannot hold object"},
		{"broken status", "spec: {}\nstatus: {nextAdmissionTime: yesterday}", "status.nextAdmissionTime", "cannot parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(head+tc.spec), &u.Object); err != nil {
				t.Fatal(err)
			}
			c, err := DecodeCampaign(u)
			if tc.field == "" {
				if err != nil || c.Name != "c" || c.Spec.Job.PendingDeadline.Duration.Minutes() != 15 {
					t.Fatalf("DecodeCampaign = %+v, %v; want the typed campaign", c, err)
				}
				return
			}
			var ue *UndecodableError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an UndecodableError", err)
			}
			if ue.Field != tc.field || !strings.Contains(ue.Error(), tc.cause) {
				t.Fatalf("err = %q (field %q), want field %q and a cause containing %q", ue, ue.Field, tc.field, tc.cause)
			}
		})
	}
}
