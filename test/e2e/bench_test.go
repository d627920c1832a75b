package e2e

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// timeline is when this process saw each Job of a campaign created, its pod running and the
// Job finished. The API's own timestamps have one-second resolution, too coarse for
// scheduling latency, so the benchmarks watch and stamp events themselves.
type timeline struct {
	mu         sync.Mutex
	created    map[string]time.Time
	podRunning map[string]time.Time
	finished   map[string]time.Time
}

func (tl *timeline) stamp(m map[string]time.Time, name string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, ok := m[name]; !ok {
		m[name] = time.Now()
	}
}

// runTimed runs a one-phase campaign of months months at concurrency with the language
// models answering after latency, and returns what the watch saw.
func runTimed(b *testing.B, months, concurrency int32, latency time.Duration) *timeline {
	b.Helper()
	sys.InjectFaults(b, map[string]fakes.Faults{
		fakes.ProviderGemini: {LatencyMS: int(latency.Milliseconds())},
		fakes.ProviderXAI:    {LatencyMS: int(latency.Milliseconds())},
	})
	ns := newNamespace(b, "bench", localsystem.NamespaceOptions{})
	tl := &timeline{created: map[string]time.Time{}, podRunning: map[string]time.Time{}, finished: map[string]time.Time{}}
	factory := informers.NewSharedInformerFactoryWithOptions(sys.Kube, 0, informers.WithNamespace(ns))
	onJob := func(obj any) {
		j, ok := obj.(*batchv1.Job)
		if !ok {
			return
		}
		tl.stamp(tl.created, j.Name)
		for _, c := range j.Status.Conditions {
			if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
				tl.stamp(tl.finished, j.Name)
			}
		}
	}
	onPod := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if ok && p.Status.Phase == corev1.PodRunning {
			tl.stamp(tl.podRunning, p.Labels[batchv1.JobNameLabel])
		}
	}
	_, _ = factory.Batch().V1().Jobs().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onJob, UpdateFunc: func(_, o any) { onJob(o) },
	})
	_, _ = factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onPod, UpdateFunc: func(_, o any) { onPod(o) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	p := phase("timed", 2013, 1, months, concurrency)
	c := newCampaign(ns, "timed", p)
	create(b, c)
	_, ms := waitFinished(b, ns, c.Name, int(months), 10*time.Minute)
	for _, m := range ms {
		if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 1 {
			b.Fatalf("%s: %s after %d attempts (%s): the benchmark needs clean runs", m.Name, m.Status.State, m.Status.Attempts, m.Status.LastError)
		}
	}
	// The campaign's status can count a month finished a moment before this watch sees its Job.
	eventually(b, 30*time.Second, "the watch to see every Job finish", func() (bool, string) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		return len(tl.finished) == int(months), fmt.Sprintf("%d of %d", len(tl.finished), months)
	})
	cancel()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl
}

// BenchmarkMakespan compares a campaign's makespan (first Job created to last Job finished)
// with the ideal its concurrency allows when cadence is not binding: ceil(months/concurrency)
// waves of the mean Job duration measured in the same run.
func BenchmarkMakespan(b *testing.B) {
	const months, concurrency = 12, 3
	var makespan, jobMean, ideal float64
	for i := 0; i < b.N; i++ {
		tl := runTimed(b, months, concurrency, 2*time.Second)
		first, last := time.Time{}, time.Time{}
		var sum time.Duration
		for name, created := range tl.created {
			if first.IsZero() || created.Before(first) {
				first = created
			}
			done := tl.finished[name]
			if done.After(last) {
				last = done
			}
			sum += done.Sub(created)
		}
		mean := sum / time.Duration(len(tl.created))
		makespan += last.Sub(first).Seconds()
		jobMean += mean.Seconds()
		ideal += math.Ceil(float64(months)/concurrency) * mean.Seconds()
	}
	n := float64(b.N)
	b.ReportMetric(makespan/n, "makespan-s")
	b.ReportMetric(jobMean/n, "job-s")
	b.ReportMetric(ideal/n, "ideal-s")
	b.ReportMetric(makespan/ideal, "makespan/ideal")
}

// BenchmarkSchedulingLatency measures, for every Job admitted because another finished (all
// but the first wave), the time from the latest earlier Job finishing to the new Job being
// created and to its pod running.
func BenchmarkSchedulingLatency(b *testing.B) {
	const months, concurrency = 10, 2
	var toJob, toPod []float64
	for i := 0; i < b.N; i++ {
		tl := runTimed(b, months, concurrency, time.Second)
		type job struct {
			name    string
			created time.Time
		}
		var jobs []job
		for name, t := range tl.created {
			jobs = append(jobs, job{name, t})
		}
		sort.Slice(jobs, func(i, j int) bool { return jobs[i].created.Before(jobs[j].created) })
		for _, j := range jobs[concurrency:] {
			var prev time.Time
			for _, done := range tl.finished {
				if !done.After(j.created) && done.After(prev) {
					prev = done
				}
			}
			if prev.IsZero() {
				b.Fatalf("Job %s was created before any Job finished, beyond the first wave", j.name)
			}
			toJob = append(toJob, j.created.Sub(prev).Seconds()*1000)
			if running, ok := tl.podRunning[j.name]; ok {
				toPod = append(toPod, running.Sub(prev).Seconds()*1000)
			}
		}
	}
	b.ReportMetric(mean(toJob), "finish-to-next-job-ms")
	b.ReportMetric(maxOf(toJob), "finish-to-next-job-max-ms")
	b.ReportMetric(mean(toPod), "finish-to-next-pod-running-ms")
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
