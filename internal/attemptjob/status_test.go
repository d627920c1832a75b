package attemptjob

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
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
	waiting := func(reason, msg string, age time.Duration) []corev1.Pod {
		return []corev1.Pod{{
			ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.Time{Time: created.Add(-age)}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
				Name: ContainerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
			}}},
		}}
	}
	unschedulable := []corev1.Pod{{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: insufficient memory"},
	}}}}
	tests := map[string]struct {
		job       *batchv1.Job
		pods      []corev1.Pod
		now       time.Time
		phase     attempt.JobPhase
		msg       string
		waiting   string
		cause     v1alpha1.FailureCause
		permanent bool
	}{
		"complete":                       {job: job(cond(batchv1.JobComplete, corev1.ConditionTrue, "", created)), now: created.Add(time.Minute), phase: attempt.JobSucceeded, msg: "m"},
		"failed with reason":             {job: job(cond(batchv1.JobFailed, corev1.ConditionTrue, "BackoffLimitExceeded", created)), now: created, phase: attempt.JobFailed, msg: "BackoffLimitExceeded: m"},
		"failed by pod failure policy":   {job: job(cond(batchv1.JobFailed, corev1.ConditionTrue, batchv1.JobReasonPodFailurePolicy, created)), now: created, phase: attempt.JobFailed, msg: "PodFailurePolicy: m", permanent: true},
		"failure target is final":        {job: job(cond(batchv1.JobFailureTarget, corev1.ConditionTrue, "DeadlineExceeded", created)), now: created, phase: attempt.JobFailed, msg: "DeadlineExceeded: m"},
		"false conditions are ignored":   {job: job(cond(batchv1.JobComplete, corev1.ConditionFalse, "", created)), now: created.Add(time.Minute), phase: attempt.JobWaiting},
		"waiting":                        {job: job(), now: created.Add(9 * time.Minute), phase: attempt.JobWaiting},
		"pending too long":               {job: job(), now: created.Add(10 * time.Minute), phase: attempt.JobPendingTooLong, msg: "no pod of the Job started within the pending deadline of 10m0s"},
		"running":                        {job: job(ready), now: created.Add(30 * time.Minute), phase: attempt.JobRunning},
		"running too long":               {job: job(ready), now: created.Add(70 * time.Minute), phase: attempt.JobRunningTooLong, msg: "attempt ran past its running deadline of 1h0m0s"},
		"suspended never times out":      {job: job(suspend), now: created.Add(48 * time.Hour), phase: attempt.JobQueued, msg: "Job is suspended"},
		"pending clock starts at resume": {job: job(cond(batchv1.JobSuspended, corev1.ConditionFalse, "Resumed", created.Add(5*time.Hour))), now: created.Add(5*time.Hour + 9*time.Minute), phase: attempt.JobWaiting},
		"pending deadline counts from resume": {job: job(cond(batchv1.JobSuspended, corev1.ConditionFalse, "Resumed", created.Add(5*time.Hour))), now: created.Add(5*time.Hour + 10*time.Minute),
			phase: attempt.JobPendingTooLong, msg: "no pod of the Job started within the pending deadline of 10m0s"},
		// Kueue unsuspends the Job; the Job controller flips its Suspended condition a moment later.
		"resumed, not yet recorded by the Job controller": {job: job(cond(batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", created)), now: created.Add(5 * time.Hour),
			phase: attempt.JobWaiting, msg: "Job is being resumed"},
		"missing secret fails at once": {job: job(), pods: waiting(WaitingCreateContainerConfigError, `secret "llm" not found`, 0), now: created.Add(time.Second),
			phase: attempt.JobBlocked, msg: `CreateContainerConfigError: secret "llm" not found`, cause: v1alpha1.CauseSecretMissing},
		"missing key fails at once": {job: job(), pods: waiting(WaitingCreateContainerConfigError, `couldn't find key gemini in Secret books/llm`, 0), now: created.Add(time.Second),
			phase: attempt.JobBlocked, msg: `CreateContainerConfigError: couldn't find key gemini in Secret books/llm`, cause: v1alpha1.CauseSecretMissing},
		"invalid image name fails at once": {job: job(), pods: waiting(WaitingInvalidImageName, "bad", 0), now: created.Add(time.Second),
			phase: attempt.JobBlocked, msg: "InvalidImageName: bad", cause: v1alpha1.CauseImageNotPullable},
		"image pull failure shown during grace": {job: job(), pods: waiting(WaitingErrImagePull, "not found", 0), now: created.Add(time.Minute),
			phase: attempt.JobWaiting, waiting: "ErrImagePull: not found"},
		"image pull back-off after grace fails": {job: job(), pods: waiting(WaitingImagePullBackOff, "Back-off pulling image", PullGrace), now: created.Add(time.Second),
			phase: attempt.JobBlocked, msg: "ImagePullBackOff: Back-off pulling image", cause: v1alpha1.CauseImageNotPullable},
		"container not created after grace": {job: job(), pods: waiting(WaitingCreateContainerError, "runtime", PullGrace), now: created.Add(time.Second),
			phase: attempt.JobBlocked, msg: "CreateContainerError: runtime", cause: v1alpha1.CauseContainerNotCreated},
		"container creating is on its way": {job: job(), pods: waiting("ContainerCreating", "", 0), now: created.Add(time.Minute), phase: attempt.JobWaiting},
		"unschedulable is shown, not failed": {job: job(), pods: unschedulable, now: created.Add(time.Minute),
			phase: attempt.JobWaiting, waiting: "Unschedulable: 0/3 nodes are available: insufficient memory"},
		"unschedulable past the pending deadline says why": {job: job(), pods: unschedulable, now: created.Add(10 * time.Minute),
			phase: attempt.JobPendingTooLong, msg: "no pod of the Job started within the pending deadline of 10m0s (Unschedulable: 0/3 nodes are available: insufficient memory)"},
		"a finished Job wins over its pod": {job: job(cond(batchv1.JobFailed, corev1.ConditionTrue, "BackoffLimitExceeded", created)), pods: waiting(WaitingCreateContainerConfigError, "x", 0), now: created,
			phase: attempt.JobFailed, msg: "BackoffLimitExceeded: m"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := Observe(tc.job, tc.pods, created, tc.now, d)
			if v.Phase != tc.phase || v.Message != tc.msg || v.Waiting != tc.waiting || v.Cause != tc.cause || v.Permanent != tc.permanent {
				t.Fatalf("Observe = %+v, want phase %d message %q waiting %q cause %q permanent %v", v, tc.phase, tc.msg, tc.waiting, tc.cause, tc.permanent)
			}
		})
	}
}

// A pull failure still in its grace period asks to be looked at again when the grace ends.
func TestObservePullGraceRecheck(t *testing.T) {
	created := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	pods := []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.Time{Time: created}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: WaitingErrImagePull}}}}}}}
	v := Observe(&batchv1.Job{}, pods, created, created.Add(time.Minute), Deadlines{Pending: time.Hour, Running: time.Hour})
	if v.Recheck == nil || !v.Recheck.Equal(created.Add(PullGrace)) {
		t.Fatalf("recheck %v, want the end of the pull grace %v", v.Recheck, created.Add(PullGrace))
	}
}
