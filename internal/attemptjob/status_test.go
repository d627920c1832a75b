package attemptjob

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestObserve(t *testing.T) {
	created := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	d := Deadlines{Pending: 10 * time.Minute, Running: time.Hour}
	job := func(mods ...func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.Time{Time: created}}}
		for _, m := range mods {
			m(j)
		}
		return j
	}
	cond := func(t batchv1.JobConditionType, s corev1.ConditionStatus, reason string, at time.Time) func(*batchv1.Job) {
		return func(j *batchv1.Job) {
			j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: t, Status: s, Reason: reason, Message: "m", LastTransitionTime: metav1.Time{Time: at}})
		}
	}
	ready := func(j *batchv1.Job) { j.Status.Ready = ptr.To[int32](1) }
	suspend := func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) }
	tests := map[string]struct {
		job   *batchv1.Job
		now   time.Time
		phase Phase
		msg   string
	}{
		"complete":                       {job(cond(batchv1.JobComplete, corev1.ConditionTrue, "", created)), created.Add(time.Minute), Succeeded, "m"},
		"failed with reason":             {job(cond(batchv1.JobFailed, corev1.ConditionTrue, "BackoffLimitExceeded", created)), created, Failed, "BackoffLimitExceeded: m"},
		"failure target is final":        {job(cond(batchv1.JobFailureTarget, corev1.ConditionTrue, "DeadlineExceeded", created)), created, Failed, "DeadlineExceeded: m"},
		"false conditions are ignored":   {job(cond(batchv1.JobComplete, corev1.ConditionFalse, "", created)), created.Add(time.Minute), Waiting, ""},
		"waiting":                        {job(), created.Add(9 * time.Minute), Waiting, ""},
		"pending too long":               {job(), created.Add(10 * time.Minute), PendingTooLong, "no pod of the Job started within the pending deadline of 10m0s"},
		"running":                        {job(ready), created.Add(30 * time.Minute), Running, ""},
		"running too long":               {job(ready), created.Add(70 * time.Minute), RunningTooLong, "attempt ran past its running deadline of 1h0m0s"},
		"suspended never times out":      {job(suspend), created.Add(48 * time.Hour), Waiting, "Job is suspended"},
		"pending clock starts at resume": {job(cond(batchv1.JobSuspended, corev1.ConditionFalse, "Resumed", created.Add(5*time.Hour))), created.Add(5*time.Hour + 9*time.Minute), Waiting, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := Observe(tc.job, created, tc.now, d)
			if s.Phase != tc.phase || s.Message != tc.msg {
				t.Fatalf("Observe = %+v, want phase %d message %q", s, tc.phase, tc.msg)
			}
		})
	}
}
