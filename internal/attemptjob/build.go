package attemptjob

import (
	"fmt"
	"maps"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// ContainerName is the worker container's name in every attempt's pod.
const ContainerName = "worker"

// Binary is the operator binary's path in its image; the worker is its `worker` subcommand.
const Binary = "/backfill-operator"

// Builder builds attempt Jobs. Image and DatabaseSecret are the operator's defaults for
// campaigns that do not set their own.
type Builder struct {
	Image          string
	DatabaseSecret *v1alpha1.SecretKeyRef
}

// Job builds the Job of attempt n of month m: one pod, no pod-level retries (a retry is a
// new attempt, admitted again), a restricted security context, secrets only by reference,
// no service account token, and deadlines so a stuck attempt ends.
func (b Builder) Job(c *v1alpha1.BackfillCampaign, m *v1alpha1.BackfillMonth, n int) (*batchv1.Job, error) {
	image := c.Spec.Job.Image
	if image == "" {
		image = b.Image
	}
	if image == "" {
		return nil, fmt.Errorf("no worker image: set spec.job.image or the operator's --worker-image")
	}
	db := c.Spec.Job.DatabaseSecretRef
	if db == nil {
		db = b.DatabaseSecret
	}
	if db == nil && c.Spec.EffectiveMode() != v1alpha1.ModePlan {
		return nil, fmt.Errorf("no database for the worker: set spec.job.databaseSecretRef or the operator's --worker-database-secret")
	}
	labels := map[string]string{}
	for k, v := range c.Spec.Job.Labels { // e.g. kueue.x-k8s.io/queue-name
		labels[k] = string(v)
	}
	maps.Copy(labels, map[string]string{
		v1alpha1.LabelManagedBy: v1alpha1.ManagedByValue,
		v1alpha1.LabelCampaign:  c.Name,
		v1alpha1.LabelMonth:     m.Name,
		v1alpha1.LabelAttempt:   strconv.Itoa(n),
	})
	if m.UID != "" {
		labels[v1alpha1.LabelMonthUID] = string(m.UID)
	}
	d := DeadlinesOf(c)
	env := secretEnv(nil, attempt.EnvDatabaseURL, db)
	if g := c.Spec.Generators.Gemini; g != nil {
		env = secretEnv(env, attempt.EnvGeminiKey, g.APIKeySecretRef)
	}
	if x := c.Spec.Generators.XAI; x != nil {
		env = secretEnv(env, attempt.EnvXAIKey, x.APIKeySecretRef)
	}
	if s := c.Spec.Resolver.ISBNdb; s != nil {
		env = secretEnv(env, attempt.EnvISBNdbKey, s.APIKeySecretRef)
	}
	if s := c.Spec.Resolver.GoogleBooks; s != nil {
		env = secretEnv(env, attempt.EnvGoogleKey, s.APIKeySecretRef)
	}

	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: naming.Job(m.Name, n), Namespace: m.Namespace, Labels: labels,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To[int32](0),
			Completions:             ptr.To[int32](1),
			Parallelism:             ptr.To[int32](1),
			ActiveDeadlineSeconds:   ptr.To(int64((d.Pending + d.Running).Seconds())),
			TTLSecondsAfterFinished: c.Spec.Job.TTLSecondsAfterFinished,
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{ // a configuration error: fail now, no retry can fix it
					Action:      batchv1.PodFailurePolicyActionFailJob,
					OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr.To(ContainerName), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{attempt.ExitPermanent}},
				},
				{ // evicted or preempted: not the worker's fault, run the pod again
					Action:          batchv1.PodFailurePolicyActionIgnore,
					OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
				},
			}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					ServiceAccountName:           c.Spec.Job.ServiceAccountName,
					PriorityClassName:            c.Spec.Job.PriorityClassName,
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To[int64](65532),
						RunAsGroup:     ptr.To[int64](65532),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:                     ContainerName,
						Image:                    image,
						ImagePullPolicy:          c.Spec.Job.ImagePullPolicy,
						Command:                  []string{Binary},
						Args:                     attempt.Args(c, m, n),
						Env:                      env,
						Resources:                corev1.ResourceRequirements{Requests: c.Spec.Job.Resources.Requests, Limits: c.Spec.Job.Resources.Limits},
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
	return job, nil
}

// secretEnv appends the variable name, taken from the referenced Secret key, when there is a reference.
func secretEnv(env []corev1.EnvVar, name string, ref *v1alpha1.SecretKeyRef) []corev1.EnvVar {
	if ref == nil {
		return env
	}
	return append(env, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key,
	}}})
}
