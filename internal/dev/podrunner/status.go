package podrunner

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod and container reasons this runner reports. Where a kubelet has a reason
// for the same situation the kubelet's word is used, so tools that look for it
// (Job pod failure policies, kubectl describe readers) see what they expect.
const (
	// ReasonDeadlineExceeded is the kubelet's pod reason for activeDeadlineSeconds.
	ReasonDeadlineExceeded = "DeadlineExceeded"
	// ReasonStartError is the kubelet's container reason when the process cannot start.
	ReasonStartError = "StartError"
	// ReasonCreateContainerConfigError is the kubelet's waiting reason for a bad env source.
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	// ReasonRunnerRestarted: the runner that ran the pod's process died; the outcome is unknown.
	ReasonRunnerRestarted = "PodRunnerRestarted"
	// ReasonRunnerStopped: the runner was shut down while the pod's process ran.
	ReasonRunnerStopped = "PodRunnerStopped"
	// ReasonUnsupported: the pod uses a feature a local process cannot honour.
	ReasonUnsupported = "UnsupportedByPodRunner"

	reasonCompleted    = "Completed"
	reasonError        = "Error"
	reasonPodCompleted = "PodCompleted"
	deadlineMessage    = "Pod was active on the node longer than the specified deadline"
)

// containerState is what the runner knows about one container.
type containerState struct {
	name         string
	image        string
	containerID  string
	restartCount int32
	startedAt    time.Time
	// finished is false while the process runs.
	finished   bool
	finishedAt time.Time
	exitCode   int32
	signal     int32
	reason     string
	message    string
	// lastTermination is the previous run when restartPolicy restarted it.
	lastTermination *corev1.ContainerStateTerminated
}

func (c containerState) status() corev1.ContainerStatus {
	status := corev1.ContainerStatus{
		Name:         c.name,
		Image:        c.image,
		ContainerID:  c.containerID,
		RestartCount: c.restartCount,
	}
	if c.lastTermination != nil {
		status.LastTerminationState.Terminated = c.lastTermination
	}
	if !c.finished {
		started := true
		status.Ready, status.Started = true, &started
		status.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.startedAt)}
		return status
	}
	started := false
	status.Started = &started
	status.State.Terminated = c.terminated()
	return status
}

func (c containerState) terminated() *corev1.ContainerStateTerminated {
	terminated := &corev1.ContainerStateTerminated{
		ExitCode:    c.exitCode,
		Signal:      c.signal,
		Reason:      c.reason,
		Message:     c.message,
		FinishedAt:  metav1.NewTime(c.finishedAt),
		ContainerID: c.containerID,
	}
	if !c.startedAt.IsZero() {
		terminated.StartedAt = metav1.NewTime(c.startedAt)
	}
	return terminated
}

// podPhaseFor is the phase of a pod whose containers have all stopped: it
// succeeded only if every container exited 0.
func podPhaseFor(containers []containerState) corev1.PodPhase {
	for _, c := range containers {
		if !c.finished || c.exitCode != 0 {
			return corev1.PodFailed
		}
	}
	return corev1.PodSucceeded
}

// runningStatus rewrites status for a pod whose containers have all started,
// keeping conditions other components own (PodScheduled, DisruptionTarget).
func runningStatus(status *corev1.PodStatus, containers []containerState, startTime, now time.Time) {
	status.Phase = corev1.PodRunning
	status.Reason, status.Message = "", ""
	status.StartTime = ptrTime(startTime)
	status.ContainerStatuses = containerStatuses(containers)
	for _, condition := range []corev1.PodConditionType{
		corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady,
	} {
		setCondition(status, condition, corev1.ConditionTrue, "", now)
	}
}

// terminatedStatus rewrites status for a pod that has finished: its phase,
// kubelet-style conditions, and an optional pod-level reason and message.
func terminatedStatus(status *corev1.PodStatus, phase corev1.PodPhase, reason, message string, containers []containerState, startTime, now time.Time) {
	status.Phase = phase
	status.Reason, status.Message = reason, message
	if !startTime.IsZero() {
		status.StartTime = ptrTime(startTime)
	}
	if len(containers) > 0 {
		status.ContainerStatuses = containerStatuses(containers)
	}
	setCondition(status, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", now)
	setCondition(status, corev1.PodInitialized, corev1.ConditionTrue, "", now)
	setCondition(status, corev1.ContainersReady, corev1.ConditionFalse, reasonPodCompleted, now)
	setCondition(status, corev1.PodReady, corev1.ConditionFalse, reasonPodCompleted, now)
}

// waitingStatus reports a container that cannot be started yet.
func waitingStatus(status *corev1.PodStatus, pod *corev1.Pod, containerName, reason, message string, now time.Time) {
	status.Phase = corev1.PodPending
	var statuses []corev1.ContainerStatus
	for _, c := range pod.Spec.Containers {
		s := corev1.ContainerStatus{Name: c.Name, Image: c.Image}
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		if c.Name == containerName {
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: message}
		}
		statuses = append(statuses, s)
	}
	status.ContainerStatuses = statuses
	setCondition(status, corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", now)
	setCondition(status, corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", now)
}

func containerStatuses(containers []containerState) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, len(containers))
	for i, c := range containers {
		out[i] = c.status()
	}
	return out
}

// setCondition updates a condition in place, moving lastTransitionTime only
// when the status changes, as kubelet does.
func setCondition(status *corev1.PodStatus, conditionType corev1.PodConditionType, value corev1.ConditionStatus, reason string, now time.Time) {
	for i := range status.Conditions {
		c := &status.Conditions[i]
		if c.Type != conditionType {
			continue
		}
		if c.Status != value {
			c.LastTransitionTime = metav1.NewTime(now)
		}
		c.Status, c.Reason = value, reason
		return
	}
	status.Conditions = append(status.Conditions, corev1.PodCondition{
		Type: conditionType, Status: value, Reason: reason, LastTransitionTime: metav1.NewTime(now),
	})
}

// claimedBefore reports whether some runner already started this pod's
// containers: it must never be started again.
func claimedBefore(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodRunning {
		return true
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.State.Running != nil || s.State.Terminated != nil {
			return true
		}
	}
	return false
}

// isWaiting reports whether the pod already shows container waiting with reason and message.
func isWaiting(pod *corev1.Pod, container, reason, message string) bool {
	if pod.Status.Phase != corev1.PodPending {
		return false
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == container {
			return s.State.Waiting != nil && s.State.Waiting.Reason == reason && s.State.Waiting.Message == message
		}
	}
	return false
}

func isTerminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
