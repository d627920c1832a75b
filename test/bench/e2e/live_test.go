package e2e

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// modelLatency is how long the fake language models take to answer: most of a Job's time.
const modelLatency = 2 * time.Second

// BenchmarkLive runs a Live campaign of 36 months at concurrency 4 through the whole local
// system and reports: Job finished → next Job created (p50, p95; every Job beyond the first
// wave, from the latest earlier Job finish), the makespan (first Job created → last finished)
// against its ideal (⌈months/concurrency⌉ × the mean Job duration of the same run), and the
// manager's requests per month from the audit log (writes with and without Events, GETs).
func BenchmarkLive(b *testing.B) {
	const months, concurrency = 36, 4
	for i := 0; i < b.N; i++ {
		ns := namespace(b, "live")
		tl := watchJobs(b, ns)
		from := auditMark()
		c := liveCampaign(ns, "live", concurrency)
		if err := sys.Client.Create(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		waitFinished(b, ns, c.Name, months)
		if err := waitManagerIdle(2*time.Second, time.Minute); err != nil {
			b.Fatal(err)
		}
		tl.stop()
		evs, err := auditEvents(from, -1)
		if err != nil {
			b.Fatal(err)
		}
		t := count(evs, managerAgent)

		created, finished := tl.snapshot()
		if len(created) != months || len(finished) != months {
			b.Fatalf("saw %d Jobs created and %d finished, want %d", len(created), len(finished), months)
		}
		type job struct {
			name    string
			created time.Time
		}
		var jobs []job
		var first, last time.Time
		var sum time.Duration
		for name, at := range created {
			jobs = append(jobs, job{name, at})
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if finished[name].After(last) {
				last = finished[name]
			}
			sum += finished[name].Sub(at)
		}
		sort.Slice(jobs, func(i, j int) bool { return jobs[i].created.Before(jobs[j].created) })
		var gaps []float64
		for _, j := range jobs[concurrency:] {
			var prev time.Time
			for _, done := range finished {
				if !done.After(j.created) && done.After(prev) {
					prev = done
				}
			}
			if prev.IsZero() {
				b.Fatalf("Job %s was created before any Job finished, beyond the first wave", j.name)
			}
			gaps = append(gaps, float64(j.created.Sub(prev).Milliseconds()))
		}
		mean := sum / months
		ideal := math.Ceil(float64(months)/concurrency) * mean.Seconds()
		makespan := last.Sub(first).Seconds()
		b.Logf("finish→next Job p50 %.0f ms, p95 %.0f ms, max %.0f ms; makespan %.1fs, ideal %.1fs (mean Job %.2fs)",
			pct(gaps, 50), pct(gaps, 95), pct(gaps, 100), makespan, ideal, mean.Seconds())
		b.Logf("manager requests over the run: %d (%.2f/month), writes %.2f/month (%.2f without Events), GETs %.2f/month: %s",
			t.total, float64(t.total)/months, float64(t.writes)/months, float64(t.writes-t.events)/months, float64(t.gets)/months, t)
		b.Logf("events in the namespace by object kind and reason: %s", eventReasons(b, ns))
		b.ReportMetric(pct(gaps, 50), "next-job-p50-ms")
		b.ReportMetric(pct(gaps, 95), "next-job-p95-ms")
		b.ReportMetric(makespan/ideal, "makespan/ideal")
		b.ReportMetric(float64(t.writes)/months, "writes/month")
		b.ReportMetric(float64(t.writes-t.events)/months, "writes-no-events/month")
		b.ReportMetric(float64(t.gets)/months, "gets/month")
		b.ReportMetric(float64(t.byKey["update backfillcampaigns/status 200"])/months, "campaign-status-writes/month")
	}
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// timeline is when this process saw each Job created and finished (the API's own timestamps
// have one-second resolution). A Job counts as finished when its Complete or Failed condition
// or its month's finished state arrives, whichever is first: the manager may learn the outcome
// from the worker's report before the Job controller marks the Job, and admits on that.
type timeline struct {
	mu                sync.Mutex
	created, finished map[string]time.Time
	jobMonth          map[string]string    // Job → its month (label)
	monthFinished     map[string]time.Time // month → when it was seen Completed or Failed
	cancel            context.CancelFunc
}

func (tl *timeline) stamp(m map[string]time.Time, name string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, ok := m[name]; !ok {
		m[name] = time.Now()
	}
}

func (tl *timeline) stop() { tl.cancel() }

func (tl *timeline) snapshot() (created, finished map[string]time.Time) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	finished = map[string]time.Time{}
	for job, at := range tl.finished {
		finished[job] = at
	}
	for job, month := range tl.jobMonth {
		if at, ok := tl.monthFinished[month]; ok {
			if was, ok := finished[job]; !ok || at.Before(was) {
				finished[job] = at
			}
		}
	}
	return tl.created, finished
}

func watchJobs(b *testing.B, ns string) *timeline {
	tl := &timeline{created: map[string]time.Time{}, finished: map[string]time.Time{},
		jobMonth: map[string]string{}, monthFinished: map[string]time.Time{}}
	factory := informers.NewSharedInformerFactoryWithOptions(sys.Kube, 0, informers.WithNamespace(ns))
	onJob := func(obj any) {
		j, ok := obj.(*batchv1.Job)
		if !ok {
			return
		}
		tl.stamp(tl.created, j.Name)
		tl.mu.Lock()
		tl.jobMonth[j.Name] = j.Labels[v1alpha1.LabelMonth]
		tl.mu.Unlock()
		for _, c := range j.Status.Conditions {
			if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
				tl.stamp(tl.finished, j.Name)
			}
		}
	}
	if _, err := factory.Batch().V1().Jobs().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onJob, UpdateFunc: func(_, o any) { onJob(o) },
	}); err != nil {
		b.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(sys.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	monthFactory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, ns, nil)
	onMonth := func(obj any) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return
		}
		state, _, _ := unstructured.NestedString(u.Object, "status", "state")
		if v1alpha1.MonthState(state).Finished() {
			tl.stamp(tl.monthFinished, u.GetName())
		}
	}
	if _, err := monthFactory.ForResource(v1alpha1.GroupVersion.WithResource("backfillmonths")).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onMonth, UpdateFunc: func(_, o any) { onMonth(o) },
	}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tl.cancel = cancel
	factory.Start(ctx.Done())
	monthFactory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	monthFactory.WaitForCacheSync(ctx.Done())
	return tl
}

// waitFinished waits until the campaign reports all its months finished, each completed in
// one attempt (the measurement needs clean runs).
func waitFinished(b *testing.B, ns, name string, months int) {
	deadline := time.Now().Add(15 * time.Minute)
	for {
		var c v1alpha1.BackfillCampaign
		if err := sys.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &c); err != nil {
			b.Fatal(err)
		}
		if int(c.Status.Months.Completed+c.Status.Months.Failed) == months {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("campaign %s: %+v after 15 minutes", name, c.Status.Months)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var list v1alpha1.BackfillMonthList
	if err := sys.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	for _, m := range list.Items {
		if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 1 {
			b.Fatalf("%s: %s after %d attempts (%s): the benchmark needs clean runs", m.Name, m.Status.State, m.Status.Attempts, m.Status.LastError)
		}
	}
}

// liveCampaign is one Live phase of 36 months (2011–2013) against the fakes, with rates high
// enough that only the operator's concurrency paces it.
func liveCampaign(ns, name string, concurrency int32) *v1alpha1.BackfillCampaign {
	c := sys.Campaign(ns, name, v1alpha1.Phase{
		Name: "live", Years: v1alpha1.YearRange{From: 2011, To: 2013},
		MonthsPerDay: 1000, MaxConcurrent: concurrency,
	})
	c.Spec.Retry = v1alpha1.RetryPolicy{} // the API's defaults: the benchmark measures no retries
	return c
}

// eventReasons counts the Events of a namespace by involved kind and reason ("Kind/Reason=n").
func eventReasons(b *testing.B, ns string) string {
	var list corev1.EventList
	if err := sys.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range list.Items {
		n[e.InvolvedObject.Kind+"/"+e.Reason]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s=%d", k, n[k]))
	}
	return strings.Join(out, " ")
}
