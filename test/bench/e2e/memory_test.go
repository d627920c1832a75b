package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// memoryLevels are the month counts the manager's memory is read at, each reached by adding
// Plan-mode campaigns of 1000 months (January–October of 1900–1999), each in its namespace.
var memoryLevels = []int{1000, 3000, 10000}

// BenchmarkMemory reads the manager's resident set (VmRSS) and Go heap in use, idle, before
// any month and then idle after fanning out to each of memoryLevels months in total.
func BenchmarkMemory(b *testing.B) {
	ctx := context.Background()
	if fi, err := os.Stat(binary); err == nil {
		b.Logf("product binary: %.1f MiB", float64(fi.Size())/(1<<20))
		b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MiB")
	}
	for i := 0; i < b.N; i++ {
		rss0, heap0 := idleMemory(b)
		b.Logf("months=0: VmRSS %.1f MiB, Go heap in use %.1f MiB", rss0, heap0)
		have := 0
		var rss1k float64
		for _, level := range memoryLevels {
			for have < level {
				ns := namespace(b, "mem")
				// 1000 months: Jan–Oct of 100 years
				c := builders.MakeCampaign("mem", ns).Mode(v1alpha1.ModePlan).Phase("p", 1900, 1999, 20, 5).Months(1, 10).Obj()
				if err := sys.Client.Create(ctx, c); err != nil {
					b.Fatal(err)
				}
				waitCounted(b, ns, 1000)
				have += 1000
			}
			rss, heap := idleMemory(b)
			b.Logf("months=%d: VmRSS %.1f MiB, Go heap in use %.1f MiB", level, rss, heap)
			b.ReportMetric(rss, fmt.Sprintf("rss-MiB@%d", level))
			b.ReportMetric(heap, fmt.Sprintf("heap-MiB@%d", level))
			if level == 1000 {
				rss1k = rss
			}
			if level == 10000 {
				perMonth := (rss - rss1k) * 1024 / 9000
				b.Logf("growth 1000→10000 months: %.2f KiB per month", perMonth)
				b.ReportMetric(perMonth, "rss-KiB/month")
			}
		}
	}
}

// idleMemory waits for the manager to be idle and reads its memory in MiB.
func idleMemory(b *testing.B) (rss, heap float64) {
	if err := waitManagerIdle(3*time.Second, 5*time.Minute); err != nil {
		b.Fatal(err)
	}
	pid := sys.ManagerPID()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	var parts []string
	for _, line := range strings.Split(string(status), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "Rss") && name != "VmRSS" {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if name == "VmRSS" {
			rss = kb / 1024
		} else {
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", name, kb/1024))
		}
	}
	body := scrape(b)
	heap = metric(b, body, "go_memstats_heap_inuse_bytes") / (1 << 20)
	b.Logf("  %s; heap idle %.1f MiB, released %.1f MiB, stacks %.1f MiB, Go sys %.1f MiB", strings.Join(parts, ", "),
		metric(b, body, "go_memstats_heap_idle_bytes")/(1<<20), metric(b, body, "go_memstats_heap_released_bytes")/(1<<20),
		metric(b, body, "go_memstats_stack_inuse_bytes")/(1<<20), metric(b, body, "go_memstats_sys_bytes")/(1<<20))
	return rss, heap
}

// scrape reads the manager's metrics.
func scrape(b *testing.B) []byte {
	resp, err := http.Get(metricsURL)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func metric(b *testing.B, body []byte, name string) float64 {
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("no %s in the manager's metrics", name)
	return 0
}
