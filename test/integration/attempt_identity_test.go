package integration

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

// monthReconciler drives the month controller directly against the real API server and a real
// database, so a test can set up exactly the objects (and pod statuses) it needs.
func monthReconciler(t *testing.T, pool *pgxpool.Pool) *controllers.MonthReconciler {
	t.Helper()
	return &controllers.MonthReconciler{
		Client: env.Client, APIReader: env.Client, Scheme: env.Client.Scheme(), Clock: clocktesting.NewFakeClock(start),
		Recorder: events.NewFakeRecorder(100), Jobs: jobs, Results: controllers.Results{DB: pool, Client: env.Client},
	}
}

func processingMonth(t *testing.T, ctx context.Context, ns string) (*v1alpha1.BackfillCampaign, *v1alpha1.BackfillMonth) {
	t.Helper()
	c := builders.MakeCampaign("ident", ns).Phase("validate", 2020, 2020, 5, 2).Database("db", "url").Obj()
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	m := builders.MakeMonth("ident", ns, "validate", 2020, 3).Obj()
	if err := env.Client.Create(ctx, m); err != nil {
		t.Fatal(err)
	}
	return c, m
}

func reconcileMonth(t *testing.T, r *controllers.MonthReconciler, m *v1alpha1.BackfillMonth) *v1alpha1.BackfillMonth {
	t.Helper()
	ctx := context.Background()
	for range 3 { // a pass may ask to look again after its own write
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(m)}); err != nil {
			t.Fatal(err)
		}
	}
	var got v1alpha1.BackfillMonth
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(m), &got); err != nil {
		t.Fatal(err)
	}
	return &got
}

// A recreated month (same namespace, campaign, year, month and attempt number as an earlier
// incarnation) never takes the earlier incarnation's attempt row for its own.
func TestRecreatedMonthIgnoresEarlierIncarnation(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "ident")
	pool := testdb.Pool(t)
	r := monthReconciler(t, pool)
	_, m := processingMonth(t, ctx, ns)
	// the earlier incarnation failed attempt 1 after 16 calls
	if _, err := database.InsertAttempt(ctx, pool, database.Attempt{
		AttemptKey: database.AttemptKey{Namespace: ns, Campaign: "ident", Year: 2020, Month: 3, MonthUID: "earlier-incarnation", Attempt: 1},
		Mode:       "Live", Outcome: database.OutcomeFailed, Cause: string(v1alpha1.CauseBadAnswer), PromptVariant: "baseline",
		Calls: map[string]int{"gemini": 8, "xai": 8}, Error: "AllModelsRefused: earlier", StartedAt: start, FinishedAt: start,
	}); err != nil {
		t.Fatal(err)
	}
	// this incarnation admitted: its attempt 1 Job is created, and it completes with its own row
	m.Spec.Suspend = false
	if err := env.Client.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := reconcileMonth(t, r, m)
	if got.Status.State != v1alpha1.MonthProcessing || got.Status.Attempts != 1 {
		t.Fatalf("state %s attempts %d, want Processing attempt 1", got.Status.State, got.Status.Attempts)
	}
	var job batchv1.Job
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: got.Status.History[0].JobName}, &job); err != nil {
		t.Fatal(err)
	}
	if job.Labels[v1alpha1.LabelMonthUID] != string(got.UID) {
		t.Errorf("Job labels %v lack the month's UID", job.Labels)
	}
	if _, err := database.InsertAttempt(ctx, pool, database.Attempt{
		AttemptKey: database.AttemptKey{Namespace: ns, Campaign: "ident", Year: 2020, Month: 3, MonthUID: string(got.UID), Attempt: 1},
		Mode:       "Live", Outcome: database.OutcomeSucceeded, PromptVariant: "baseline", BooksRequested: 20, BooksGenerated: 20, ISBNsResolved: 19,
		Calls: map[string]int{"gemini": 1, "xai": 1}, StartedAt: start, FinishedAt: start,
	}); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	job.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}}
	if err := env.Client.Status().Update(ctx, &job); err != nil {
		t.Fatal(err)
	}
	got = reconcileMonth(t, r, got)
	rec := got.Status.History[len(got.Status.History)-1]
	if got.Status.State != v1alpha1.MonthCompleted || rec.Calls["gemini"] != 1 || rec.Calls["xai"] != 1 || got.Status.Metrics.BooksGenerated != 20 {
		t.Fatalf("state %s calls %v books %d: want Completed with this incarnation's 2 calls and 20 books, never the earlier 16 calls",
			got.Status.State, rec.Calls, got.Status.Metrics.BooksGenerated)
	}
}

// A pod waiting on a missing Secret fails its attempt at once, as an outside cause that uses up
// none of the month's attempts, with the kubelet's reason in lastError and the condition.
func TestMissingSecretFailsAttemptAtOnceWithoutCountingIt(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "secret")
	r := monthReconciler(t, testdb.Pool(t))
	_, m := processingMonth(t, ctx, ns)
	m.Spec.Suspend = false
	if err := env.Client.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := reconcileMonth(t, r, m)
	var job batchv1.Job
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: got.Status.History[0].JobName}, &job); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-x", Namespace: ns, Labels: job.Spec.Template.Labels},
		Spec: *job.Spec.Template.Spec.DeepCopy()}
	if err := env.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	const why = `secret "llm-keys" not found`
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "worker", Image: pod.Spec.Containers[0].Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: why}},
	}}}
	if err := env.Client.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	got = reconcileMonth(t, r, got)
	rec := got.Status.History[len(got.Status.History)-1]
	if got.Status.State != v1alpha1.MonthRetry || rec.Cause != v1alpha1.CauseSecretMissing || got.Status.RunAttempts != 0 || got.Status.OutsideFailures != 1 {
		t.Fatalf("state %s cause %s runAttempts %d outsideFailures %d: want Retry, SecretMissing, no attempt used",
			got.Status.State, rec.Cause, got.Status.RunAttempts, got.Status.OutsideFailures)
	}
	if !contains(got.Status.LastError, why) {
		t.Errorf("lastError %q does not say why", got.Status.LastError)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(&job), &job); err == nil && job.DeletionTimestamp.IsZero() {
		t.Error("the blocked Job was not deleted")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// conflictingClient makes the next month status write lose a real conflict: just before it,
// someone else changes the month on the API server.
type conflictingClient struct {
	client.Client
	armed *bool
}

func (c conflictingClient) Status() client.SubResourceWriter {
	return conflictingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

type conflictingStatus struct {
	client.SubResourceWriter
	c conflictingClient
}

func (w conflictingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if m, ok := obj.(*v1alpha1.BackfillMonth); ok && *w.c.armed {
		*w.c.armed = false
		var other v1alpha1.BackfillMonth
		if err := w.c.Client.Get(ctx, client.ObjectKeyFromObject(m), &other); err != nil {
			return err
		}
		metav1.SetMetaDataAnnotation(&other.ObjectMeta, "example.com/touched", "yes")
		if err := w.c.Client.Update(ctx, &other); err != nil {
			return err
		}
	}
	return w.SubResourceWriter.Update(ctx, obj, opts...)
}

// A pass whose status write loses a conflict emits nothing; the pass redone from the fresh
// month emits each event once. Starting an attempt emits none (the Job is the record), a
// failed attempt one Warning.
func TestMonthEventsOnceThroughConflicts(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "conflict")
	pool := testdb.Pool(t)
	r := monthReconciler(t, pool)
	recorder := events.NewFakeRecorder(100)
	armed := false
	r.Client, r.Recorder = conflictingClient{Client: env.Client, armed: &armed}, recorder
	_, m := processingMonth(t, ctx, ns)
	m.Spec.Suspend = false
	if err := env.Client.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	armed = true
	got := reconcileMonth(t, r, m) // creates the Job; its first status write conflicts
	if armed || got.Status.State != v1alpha1.MonthProcessing {
		t.Fatalf("armed %v state %s: the conflict was not exercised or the pass not redone", armed, got.Status.State)
	}
	if _, err := database.InsertAttempt(ctx, pool, database.Attempt{
		AttemptKey: database.AttemptKey{Namespace: ns, Campaign: "ident", Year: 2020, Month: 3, MonthUID: string(got.UID), Attempt: 1},
		Mode:       "Live", Outcome: database.OutcomeFailed, Cause: string(v1alpha1.CauseBadAnswer), Error: "AllModelsRefused: nothing",
		PromptVariant: "baseline", BooksRequested: 20, StartedAt: start, FinishedAt: start,
	}); err != nil {
		t.Fatal(err)
	}
	var job batchv1.Job
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: got.Status.History[0].JobName}, &job); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	job.Status = batchv1.JobStatus{StartTime: &now, Failed: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded"},
		{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded"},
	}}
	if err := env.Client.Status().Update(ctx, &job); err != nil {
		t.Fatal(err)
	}
	armed = true
	got = reconcileMonth(t, r, got) // fails the attempt; the first write of the outcome conflicts
	if armed || got.Status.State != v1alpha1.MonthRetry {
		t.Fatalf("armed %v state %s", armed, got.Status.State)
	}
	counts := map[string]int{}
	for len(recorder.Events) > 0 {
		fields := strings.Fields(<-recorder.Events)
		counts[fields[1]]++
	}
	if len(counts) != 1 || counts[attempt.EventAttemptFailed] != 1 {
		t.Fatalf("events %v, want AttemptFailed once and nothing else", counts)
	}
}
