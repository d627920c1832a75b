// Package attemptjob builds the batch/v1 Job that runs one attempt of a month and reads how
// that Job is doing. Both directions are pure functions of their inputs.
package attemptjob

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Phase is where an attempt's Job stands.
type Phase int

const (
	// Waiting: created, no pod running yet (or suspended by a queueing system such as Kueue).
	Waiting Phase = iota
	// Running: a pod is running.
	Running
	// Succeeded: the Job is Complete.
	Succeeded
	// Failed: the Job failed.
	Failed
	// PendingTooLong: the Job waited for a running pod past the pending deadline.
	PendingTooLong
	// RunningTooLong: the attempt ran past the running deadline.
	RunningTooLong
)

// Status is the verdict on a Job at a moment.
type Status struct {
	Phase   Phase
	Message string
	// Recheck is when the verdict could change without any event (a deadline passing).
	Recheck *time.Time
}

// Deadlines bound an attempt.
type Deadlines struct {
	Pending, Running time.Duration
}

// Observe reads the Job's conditions (never its counts alone) and checks the deadlines,
// counted from started (when the operator created the attempt, on its own clock). A Job held
// suspended (by Kueue, for instance) is waiting, and its pending clock starts only when it is
// resumed.
func Observe(job *batchv1.Job, started, now time.Time, d Deadlines) Status {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return Status{Phase: Succeeded, Message: c.Message}
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			return Status{Phase: Failed, Message: failureMessage(c)}
		}
	}
	if suspended(job) {
		return Status{Phase: Waiting, Message: "Job is suspended"}
	}
	waitingSince := started
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobSuspended && c.Status == corev1.ConditionFalse && c.LastTransitionTime.After(waitingSince) {
			waitingSince = c.LastTransitionTime.Time
		}
	}
	runDeadline := waitingSince.Add(d.Pending + d.Running)
	if !now.Before(runDeadline) {
		return Status{Phase: RunningTooLong, Message: fmt.Sprintf("attempt ran past its running deadline of %s", d.Running)}
	}
	if job.Status.Ready != nil && *job.Status.Ready > 0 {
		return Status{Phase: Running, Recheck: &runDeadline}
	}
	pendDeadline := waitingSince.Add(d.Pending)
	if !now.Before(pendDeadline) {
		return Status{Phase: PendingTooLong, Message: fmt.Sprintf("no pod of the Job started within the pending deadline of %s", d.Pending)}
	}
	return Status{Phase: Waiting, Recheck: &pendDeadline}
}

func suspended(job *batchv1.Job) bool {
	return job.Spec.Suspend != nil && *job.Spec.Suspend
}

func failureMessage(c batchv1.JobCondition) string {
	switch {
	case c.Reason != "" && c.Message != "":
		return c.Reason + ": " + c.Message
	case c.Reason != "":
		return c.Reason
	default:
		return c.Message
	}
}

// DeadlinesOf reads a campaign's deadlines, with the API defaults for objects that predate them.
func DeadlinesOf(c *v1alpha1.BackfillCampaign) Deadlines {
	return Deadlines{Pending: c.Spec.EffectivePendingDeadline(), Running: c.Spec.EffectiveRunningDeadline()}
}
