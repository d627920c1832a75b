package attemptjob

import (
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

func campaign() *v1alpha1.BackfillCampaign {
	c := builders.MakeCampaign("alexandria", "books").Phase("validate", 2020, 2020, 5, 2).
		Deadlines(10*time.Minute, 50*time.Minute).Database("pg", "url").Obj()
	c.Spec.Job.Labels = map[string]v1alpha1.LabelValue{"kueue.x-k8s.io/queue-name": "backfill", v1alpha1.LabelManagedBy: "someone-else"}
	c.Spec.Generators.Gemini = &v1alpha1.ModelSpec{BaseURL: "http://127.0.0.1:1/gemini/", APIKeySecretRef: &v1alpha1.SecretKeyRef{Name: "llm", Key: "gemini"}}
	c.Spec.Resolver.ISBNdb = &v1alpha1.SourceSpec{BaseURL: "http://127.0.0.1:1/isbndb", APIKeySecretRef: &v1alpha1.SecretKeyRef{Name: "isbndb", Key: "key"}}
	c.Spec.Resolver.Sources = []v1alpha1.Source{"openlibrary", "isbndb"}
	c.Spec.Job.PriorityClassName = "backfill-low"
	return c
}

func TestJob(t *testing.T) {
	c := campaign()
	m := builders.MakeMonth("alexandria", "books", "validate", 2020, 9).Obj()
	m.Spec.PromptVariant = v1alpha1.PromptContemporaryNotable
	m.UID = "uid-9"
	job, err := Builder{Image: "registry.example/backfill-operator:v1"}.Job(c, m, 3)
	if err != nil {
		t.Fatal(err)
	}
	if job.Name != "alexandria-2020-09-a3" || job.Namespace != "books" {
		t.Errorf("job %s/%s", job.Namespace, job.Name)
	}
	if *job.Spec.BackoffLimit != 0 || *job.Spec.ActiveDeadlineSeconds != 3600 {
		t.Errorf("backoffLimit %d, activeDeadlineSeconds %d: want 0 and pending+running (3600)", *job.Spec.BackoffLimit, *job.Spec.ActiveDeadlineSeconds)
	}
	if job.Spec.Suspend != nil {
		t.Error("the Job's suspend is left to queueing systems such as Kueue")
	}
	pod := job.Spec.Template
	for _, labels := range []map[string]string{job.Labels, pod.Labels} {
		if labels["kueue.x-k8s.io/queue-name"] != "backfill" {
			t.Errorf("extra labels do not pass through: %v", labels)
		}
		if labels[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue || labels[v1alpha1.LabelMonth] != m.Name || labels[v1alpha1.LabelAttempt] != "3" {
			t.Errorf("operator labels missing or overridden: %v", labels)
		}
	}
	spec := pod.Spec
	ctr := spec.Containers[0]
	if spec.PriorityClassName != "backfill-low" {
		t.Errorf("pod priorityClassName = %q, want the campaign's job.priorityClassName (the scheduler and Kueue order by it)", spec.PriorityClassName)
	}
	if spec.RestartPolicy != corev1.RestartPolicyNever || *spec.AutomountServiceAccountToken {
		t.Error("pods must not restart in place nor mount a service account token")
	}
	if !*spec.SecurityContext.RunAsNonRoot || spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		*ctr.SecurityContext.AllowPrivilegeEscalation || !slices.Equal(ctr.SecurityContext.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Error("security context does not meet the restricted Pod Security Standard")
	}
	if ctr.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
		t.Error("termination message policy")
	}
	env := map[string]*corev1.SecretKeySelector{}
	for _, e := range ctr.Env {
		if e.Value != "" {
			t.Errorf("env %s has a literal value; secrets only by reference", e.Name)
		}
		env[e.Name] = e.ValueFrom.SecretKeyRef
	}
	if env[attempt.EnvDatabaseURL].Name != "pg" || env[attempt.EnvGeminiKey].Key != "gemini" || env[attempt.EnvISBNdbKey].Name != "isbndb" {
		t.Errorf("secret references: %v", env)
	}
	if _, ok := env[attempt.EnvXAIKey]; ok {
		t.Error("xAI is not configured, so no xAI key is referenced")
	}
	rule := job.Spec.PodFailurePolicy.Rules[0]
	if rule.Action != batchv1.PodFailurePolicyActionFailJob || rule.OnExitCodes.Values[0] != attempt.ExitPermanent {
		t.Error("the worker's permanent-failure exit code must fail the Job at once")
	}

	if ctr.Command[0] != Binary || ctr.Args[0] != attempt.Command {
		t.Fatalf("command %v args %v", ctr.Command, ctr.Args[:1])
	}
	if job.Labels[v1alpha1.LabelMonthUID] != "uid-9" || pod.Labels[v1alpha1.LabelMonthUID] != "uid-9" {
		t.Errorf("the Job and its pod must carry the month's UID: %v", pod.Labels)
	}
	// Only what the campaign and the month say: the worker applies its own defaults to the rest.
	want := []string{"worker", "--namespace=books", "--campaign=alexandria", "--phase=validate", "--year=2020", "--month=9",
		"--attempt=3", "--month-uid=uid-9", "--mode=Live", "--prompt-variant=contemporary-notable", "--books-per-month=20",
		"--gemini-base-url=http://127.0.0.1:1/gemini/", "--sources=openlibrary,isbndb", "--isbndb-base-url=http://127.0.0.1:1/isbndb"}
	if !slices.Equal(ctr.Args, want) {
		t.Errorf("args\n got %q\nwant %q", ctr.Args, want)
	}
}

func TestJobNeedsImageAndDatabase(t *testing.T) {
	c := campaign()
	m := builders.MakeMonth("alexandria", "books", "validate", 2020, 9).Obj()
	if _, err := (Builder{}).Job(c, m, 1); err == nil || !strings.Contains(err.Error(), "no worker image") {
		t.Errorf("no image: err = %v", err)
	}
	c.Spec.Job.DatabaseSecretRef = nil
	if _, err := (Builder{Image: "x"}).Job(c, m, 1); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("no database: err = %v", err)
	}
	if _, err := (Builder{Image: "x", DatabaseSecret: &v1alpha1.SecretKeyRef{Name: "d", Key: "u"}}).Job(c, m, 1); err != nil {
		t.Errorf("operator default database: %v", err)
	}
}

func TestExperimentMode(t *testing.T) {
	c := campaign()
	c.Spec.Mode = v1alpha1.ModeExperiment
	args := attempt.Args(c, builders.MakeMonth("alexandria", "books", "validate", 2020, 9).Obj(), 1)
	if !slices.Contains(args, "--mode=Experiment") {
		t.Errorf("args %v lack --mode=Experiment", args)
	}
}
