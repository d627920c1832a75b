// Package attemptjob builds the batch/v1 Job that runs one attempt of a month and judges how
// that Job and its pod are doing. Both directions are pure functions of their inputs.
package attemptjob

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
)

// Deadlines bound an attempt.
type Deadlines struct {
	Pending, Running time.Duration
}

// DeadlinesOf reads a campaign's deadlines, with the API defaults for objects that predate them.
func DeadlinesOf(c *v1alpha1.BackfillCampaign) Deadlines {
	return Deadlines{Pending: c.Spec.EffectivePendingDeadline(), Running: c.Spec.EffectiveRunningDeadline()}
}

// Kubelet waiting reasons of a container that has not started.
const (
	WaitingCreateContainerConfigError = "CreateContainerConfigError"
	WaitingCreateContainerError       = "CreateContainerError"
	WaitingErrImagePull               = "ErrImagePull"
	WaitingImagePullBackOff           = "ImagePullBackOff"
	WaitingInvalidImageName           = "InvalidImageName"
)

// PullGrace is how long a pod may fail to pull its image (ErrImagePull, ImagePullBackOff) or to
// create its container (CreateContainerError) before the attempt fails: long enough for the
// kubelet's own retries to get past a registry hiccup, much shorter than the pending deadline.
// A missing Secret or key (CreateContainerConfigError) and an invalid image name fail at once:
// nothing but a user's change can fix them, and the month's next attempt will see that change.
const PullGrace = 2 * time.Minute

// Observe judges an attempt from its Job's conditions (never its counts alone), its pods'
// waiting reasons and the deadlines, counted from started (when the operator created the
// attempt, on its own clock). A Job held suspended (by Kueue, for instance) is waiting, and its
// pending clock starts only when it is resumed.
func Observe(job *batchv1.Job, pods []corev1.Pod, started, now time.Time, d Deadlines) attempt.Verdict {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return attempt.Verdict{Phase: attempt.JobSucceeded, Message: c.Message}
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			return attempt.Verdict{Phase: attempt.JobFailed, Message: failureMessage(c), Permanent: failedPermanently(job)}
		}
	}
	if job.Spec.Suspend != nil && *job.Spec.Suspend {
		return attempt.Verdict{Phase: attempt.JobQueued, Message: "Job is suspended"}
	}
	pod := judgePods(pods, now)
	if pod.blocked != "" {
		return attempt.Verdict{Phase: attempt.JobBlocked, Cause: pod.blocked, Message: pod.waiting}
	}
	waitingSince := started
	for _, c := range job.Status.Conditions {
		if c.Type != batchv1.JobSuspended {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			// Resumed (spec.suspend is false) but the Job controller has not recorded it yet:
			// the resume is happening now, however long the Job was held.
			recheck := now.Add(d.Pending)
			return attempt.Verdict{Phase: attempt.JobWaiting, Message: "Job is being resumed", Recheck: &recheck}
		}
		if c.LastTransitionTime.After(waitingSince) {
			waitingSince = c.LastTransitionTime.Time
		}
	}
	runDeadline := waitingSince.Add(d.Pending + d.Running)
	if !now.Before(runDeadline) {
		return attempt.Verdict{Phase: attempt.JobRunningTooLong, Message: fmt.Sprintf("attempt ran past its running deadline of %s", d.Running)}
	}
	if job.Status.Ready != nil && *job.Status.Ready > 0 {
		return attempt.Verdict{Phase: attempt.JobRunning, Recheck: &runDeadline}
	}
	pendDeadline := waitingSince.Add(d.Pending)
	if !now.Before(pendDeadline) {
		msg := fmt.Sprintf("no pod of the Job started within the pending deadline of %s", d.Pending)
		if pod.waiting != "" {
			msg += " (" + pod.waiting + ")"
		}
		return attempt.Verdict{Phase: attempt.JobPendingTooLong, Message: msg}
	}
	recheck := pendDeadline
	if pod.recheck != nil && pod.recheck.Before(recheck) {
		recheck = *pod.recheck
	}
	return attempt.Verdict{Phase: attempt.JobWaiting, Waiting: pod.waiting, Recheck: &recheck}
}

// podJudgement is what the pods of an attempt say while the Job has not finished.
type podJudgement struct {
	waiting string                // "Reason: message" of a pod that waits for something
	blocked v1alpha1.FailureCause // the wait will not end by itself: fail now
	recheck *time.Time            // when a pull failure's grace ends
}

func judgePods(pods []corev1.Pod, now time.Time) podJudgement {
	var j podJudgement
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				j.waiting = waitingText(c.Reason, c.Message)
			}
		}
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			w := cs.State.Waiting
			if w == nil {
				continue
			}
			graceEnds := p.CreationTimestamp.Add(PullGrace)
			var cause v1alpha1.FailureCause
			switch w.Reason {
			case WaitingCreateContainerConfigError:
				cause = v1alpha1.CauseSecretMissing
			case WaitingInvalidImageName:
				cause = v1alpha1.CauseImageNotPullable
			case WaitingErrImagePull, WaitingImagePullBackOff:
				if !now.Before(graceEnds) {
					cause = v1alpha1.CauseImageNotPullable
				}
			case WaitingCreateContainerError:
				if !now.Before(graceEnds) {
					cause = v1alpha1.CauseContainerNotCreated
				}
			default:
				continue // ContainerCreating, PodInitializing: on its way
			}
			j.waiting = waitingText(w.Reason, w.Message)
			if cause != "" {
				j.blocked = cause
				return j
			}
			j.recheck = &graceEnds
		}
	}
	return j
}

func waitingText(reason, msg string) string {
	if msg == "" {
		return reason
	}
	return reason + ": " + msg
}

// failedPermanently reports a Job failed by its pod failure policy: the worker exited with
// the permanent-failure code (bad configuration), which no retry can fix.
func failedPermanently(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == batchv1.JobReasonPodFailurePolicy {
			return true
		}
	}
	return false
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
