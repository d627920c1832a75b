// Package demo is the `backfill-dev demo` command (`make demo`): it starts the whole operator on this
// machine through internal/localsystem, runs the demo campaign (config/samples/demo) to the end
// while showing its progress, prints a summary — including the seed's operations SQL over
// backfill_log — and stops everything it started.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// FakesPlaceholder is the base URL prefix in the demo campaign that stands for the local fakes.
const FakesPlaceholder = "http://fakes.invalid"

// Namespace is where the demo campaign runs.
const Namespace = "backfill-demo"

// Options configures Run.
type Options struct {
	// Dir is the working directory for the cluster, database and logs (default .demo).
	Dir string
	// RepoRoot holds config/crd and config/samples/demo (default: the working directory).
	RepoRoot string
	// Binary is the operator binary (default: backfill-operator beside this executable).
	Binary string
	// Campaign is the campaign manifest (default config/samples/demo/campaign.yaml).
	Campaign string
	// Timeout bounds the campaign's run.
	Timeout time.Duration
	// Interval is how often progress is printed.
	Interval time.Duration
	// Keys are real provider API keys by Secret key (localsystem.KeyGemini, …); a provider
	// with a key uses the real service instead of its fake.
	Keys map[string]string
	Out  io.Writer
}

// NewCommand returns the `demo` command.
func NewCommand() *cobra.Command {
	o := Options{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole operator locally (control plane, PostgreSQL, fakes, manager, pod runner) on a phased campaign",
		Long: `demo starts a local control plane, a throwaway PostgreSQL, the provider fakes, the CRDs,
the manager and the pod runner, applies config/samples/demo/campaign.yaml, shows its progress
until it completes, prints a summary and stops everything (also on Ctrl-C).

With GEMINI_API_KEY, XAI_API_KEY or ISBNDB_API_KEY set, that provider is the real service.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// the plugin's commands run in this process; their client would otherwise complain
			// that controller-runtime's logger was never set
			ctrllog.SetLogger(logr.Discard())
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			o.Out = cmd.OutOrStdout()
			o.Keys = map[string]string{
				localsystem.KeyGemini: os.Getenv("GEMINI_API_KEY"),
				localsystem.KeyXAI:    os.Getenv("XAI_API_KEY"),
				localsystem.KeyISBNdb: os.Getenv("ISBNDB_API_KEY"),
			}
			return Run(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", ".demo", "working directory for the cluster, database and logs")
	f.StringVar(&o.RepoRoot, "repo", ".", "repository root (config/crd, config/samples/demo)")
	f.StringVar(&o.Binary, "binary", "", "operator binary run as manager and worker (default: backfill-operator beside this executable)")
	f.StringVar(&o.Campaign, "campaign", "", "campaign manifest (default <repo>/config/samples/demo/campaign.yaml)")
	f.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up when the campaign has not finished by then")
	f.DurationVar(&o.Interval, "interval", 2*time.Second, "how often to print progress")
	return cmd
}

// Run runs the demo until the campaign finishes, ctx ends or Timeout passes; everything it
// started is stopped before it returns.
func Run(ctx context.Context, o Options) (err error) {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.RepoRoot, err = filepath.Abs(o.RepoRoot); err != nil {
		return err
	}
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return err
	}
	if o.Binary == "" {
		// the product binary is built beside the dev binary (make build)
		self, err := os.Executable()
		if err != nil {
			return err
		}
		o.Binary = filepath.Join(filepath.Dir(self), "backfill-operator")
	}
	if o.Campaign == "" {
		o.Campaign = filepath.Join(o.RepoRoot, "config", "samples", "demo", "campaign.yaml")
	}
	campaign, err := LoadCampaign(o.Campaign)
	if err != nil {
		return err
	}
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(o.Out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	sys, err := localsystem.Start(ctx, localsystem.Options{
		Binary: o.Binary, RepoRoot: o.RepoRoot, Dir: o.Dir,
		// ISBNdb's fake enforces the paid plan's rate; the demo's campaign is paced by
		// concurrency, not by the fake's plan.
		Fakes: fakes.Options{ISBNdbRate: 100},
		Logf:  say,
	})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping everything the demo started")
		sys.Stop()
		say("stopped; logs were in %s", o.Dir)
	}()

	say("creating namespace %s (enforces the restricted Pod Security Standard) and its Secrets", Namespace)
	if err := sys.Namespace(ctx, Namespace, localsystem.NamespaceOptions{APIKeys: o.Keys}); err != nil {
		return err
	}
	if err := sys.Cluster.WaitForDefaultServiceAccount(ctx, Namespace); err != nil {
		return err
	}
	real := PointAtFakes(campaign, sys.Fakes.URL(), o.Keys)
	if len(real) > 0 {
		say("real providers (keys from the environment): %s", strings.Join(real, ", "))
	}
	campaign.Namespace = Namespace
	say("applying campaign %s/%s (%s)", Namespace, campaign.Name, describePhases(campaign))
	if err := sys.Client.Create(ctx, campaign); err != nil {
		return fmt.Errorf("creating the campaign: %w", err)
	}

	runCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	final, months, err := watch(runCtx, sys, campaign.Name, o, say)
	if err != nil {
		if ctx.Err() != nil {
			say("interrupted")
			return nil
		}
		return err
	}
	say("campaign finished in %s", time.Since(start).Round(time.Second))
	if err := summarize(ctx, o.Out, sys, final, months); err != nil {
		return err
	}
	for _, args := range [][]string{{"status", campaign.Name}, {"heatmap", campaign.Name}} {
		if err := kubectlBackfill(ctx, sys, o.Out, say, args...); err != nil {
			return err
		}
	}
	if o.Keys[localsystem.KeyGemini] != "" || o.Keys[localsystem.KeyXAI] != "" {
		say("rerun demonstration skipped: it injects an outage into the fake models, and a real one is configured")
		return nil
	}
	return demonstrateRerun(ctx, sys, o.Out, say, 3*time.Minute)
}

// LoadCampaign reads a BackfillCampaign manifest.
func LoadCampaign(path string) (*v1alpha1.BackfillCampaign, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the campaign: %w", err)
	}
	c := &v1alpha1.BackfillCampaign{}
	if err := yaml.UnmarshalStrict(raw, c); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return c, nil
}

// PointAtFakes replaces the FakesPlaceholder prefix of every base URL with fakesURL, except
// for providers with a real key in keys, whose base URL is cleared so the real service is
// used. It returns the providers left real.
func PointAtFakes(c *v1alpha1.BackfillCampaign, fakesURL string, keys map[string]string) []string {
	var real []string
	rewrite := func(name string, base *string, key string) {
		if !strings.HasPrefix(*base, FakesPlaceholder) {
			return
		}
		if key != "" && keys[key] != "" {
			*base = ""
			real = append(real, name)
			return
		}
		*base = fakesURL + strings.TrimPrefix(*base, FakesPlaceholder)
	}
	g, r := &c.Spec.Generators, &c.Spec.Resolver
	if g.Gemini != nil {
		rewrite("gemini", &g.Gemini.BaseURL, localsystem.KeyGemini)
	}
	if g.XAI != nil {
		rewrite("xai", &g.XAI.BaseURL, localsystem.KeyXAI)
	}
	if r.ISBNdb != nil {
		rewrite("isbndb", &r.ISBNdb.BaseURL, localsystem.KeyISBNdb)
	}
	for _, s := range []*v1alpha1.SourceSpec{r.GoogleBooks, r.OpenLibrary, r.LOC, r.Wikidata, r.Archive} {
		if s != nil {
			rewrite("", &s.BaseURL, "")
		}
	}
	return real
}

func describePhases(c *v1alpha1.BackfillCampaign) string {
	var parts []string
	for _, p := range c.Spec.Phases {
		parts = append(parts, fmt.Sprintf("%s %d-%d ×%d", p.Name, p.Years.From, p.Years.To, p.MaxConcurrent))
	}
	return strings.Join(parts, ", ")
}

// watch prints progress until the campaign is Ready with reason Completed (or every month has
// finished), approving phases that wait for approval the way an operator would.
func watch(ctx context.Context, sys *localsystem.System, name string, o Options, say func(string, ...any)) (*v1alpha1.BackfillCampaign, []v1alpha1.BackfillMonth, error) {
	ticker := time.NewTicker(o.Interval)
	defer ticker.Stop()
	approved := map[string]bool{}
	for {
		c := &v1alpha1.BackfillCampaign{}
		if err := sys.Client.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: name}, c); err != nil {
			return nil, nil, fmt.Errorf("reading the campaign: %w", err)
		}
		var list v1alpha1.BackfillMonthList
		if err := sys.Client.List(ctx, &list, client.InNamespace(Namespace), client.MatchingLabels{v1alpha1.LabelCampaign: name}); err != nil {
			return nil, nil, fmt.Errorf("listing months: %w", err)
		}
		printProgress(o.Out, c, list.Items)
		for _, p := range c.Status.Phases {
			if p.State == v1alpha1.PhaseAwaitingApproval && !approved[p.Name] {
				say("phase %s awaits approval: approving it", p.Name)
				if err := kubectlBackfill(ctx, sys, o.Out, say, "approve", name, p.Name); err != nil {
					return nil, nil, fmt.Errorf("approving phase %s: %w", p.Name, err)
				}
				approved[p.Name] = true
			}
		}
		if done(c, list.Items) {
			return c, list.Items, nil
		}
		if exited, err := sys.ManagerExited(); exited {
			return nil, nil, fmt.Errorf("the manager exited (%v); see %s:\n%s", err, sys.ManagerLog(), localsystem.Tail(sys.ManagerLog(), 3000))
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("campaign %s did not finish: %w (manager log %s)", name, ctx.Err(), sys.ManagerLog())
		case <-ticker.C:
		}
	}
}

func done(c *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth) bool {
	ready := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady)
	if ready != nil && ready.Reason == v1alpha1.ReasonCompleted && ready.ObservedGeneration == c.Generation {
		return true
	}
	if ready != nil && ready.Reason == v1alpha1.ReasonGateBlocked {
		return true // nothing more will run without a person
	}
	return false
}

// printProgress prints the campaign line and a compact table of the months that are not
// waiting or done (like `kubectl get bfm`), so the screen shows what is happening now.
func printProgress(out io.Writer, c *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth) {
	m := c.Status.Months
	fmt.Fprintf(out, "\ncampaign %s  phase=%s  %s  months: %d total, %d pending, %d processing, %d retry, %d completed, %d failed  books=%d resolved=%d (%s)\n",
		c.Name, or(c.Status.CurrentPhase, "-"), c.Status.Progress, m.Total, m.Pending, m.Processing, m.Retry, m.Completed, m.Failed,
		c.Status.Totals.BooksGenerated, c.Status.Totals.ISBNsResolved, or(c.Status.Totals.ResolutionRate, "-"))
	var shown []v1alpha1.BackfillMonth
	for _, mo := range months {
		switch mo.EffectiveState() {
		case v1alpha1.MonthProcessing, v1alpha1.MonthRetry, v1alpha1.MonthFailed:
			shown = append(shown, mo)
		}
	}
	if len(shown) == 0 {
		return
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Name < shown[j].Name })
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MONTH\tPHASE\tSTATE\tATTEMPTS\tBOOKS\tRESOLVED\tLAST ERROR")
	for _, mo := range shown {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%s\n", mo.Name, mo.Spec.Phase, mo.EffectiveState(), mo.Status.Attempts,
			mo.Status.Metrics.BooksGenerated, mo.Status.Metrics.ISBNsResolved, cut(mo.Status.LastError, 60))
	}
	_ = tw.Flush()
}

func summarize(ctx context.Context, out io.Writer, sys *localsystem.System, c *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth) error {
	fmt.Fprintf(out, "\n==================== summary ====================\n")
	states := map[v1alpha1.MonthState]int{}
	attempts := 0
	for _, m := range months {
		states[m.EffectiveState()]++
		attempts += int(m.Status.Attempts)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "months\t%d (", len(months))
	first := true
	for _, s := range []v1alpha1.MonthState{v1alpha1.MonthCompleted, v1alpha1.MonthFailed, v1alpha1.MonthRetry, v1alpha1.MonthProcessing, v1alpha1.MonthPending} {
		if states[s] > 0 {
			if !first {
				fmt.Fprint(tw, ", ")
			}
			fmt.Fprintf(tw, "%d %s", states[s], s)
			first = false
		}
	}
	fmt.Fprintf(tw, "), %d attempts (Jobs)\n", attempts)
	t := c.Status.Totals
	fmt.Fprintf(tw, "books generated\t%d\n", t.BooksGenerated)
	fmt.Fprintf(tw, "ISBNs resolved\t%d (resolution rate %s%%)\n", t.ISBNsResolved, or(t.ResolutionRate, "-"))
	fmt.Fprintf(tw, "ISBNs queued\t%d\n", t.ISBNsQueued)
	var books int64
	if err := sys.DB.QueryRow(ctx, `SELECT COUNT(*) FROM backfill_books WHERE namespace = $1 AND campaign = $2`, Namespace, c.Name).Scan(&books); err != nil {
		return fmt.Errorf("counting books: %w", err)
	}
	fmt.Fprintf(tw, "backfill_books rows\t%d (one per title and author)\n", books)
	for _, p := range c.Status.Phases {
		fmt.Fprintf(tw, "phase %s\t%s: %d/%d months completed, rate %s%%  %s\n", p.Name, p.State, p.Months.Completed, p.Months.Total, or(p.Totals.ResolutionRate, "-"), p.Gate)
	}
	names := make([]string, 0, len(t.Calls))
	for k := range t.Calls {
		names = append(names, k)
	}
	sort.Strings(names)
	var calls []string
	for _, k := range names {
		calls = append(calls, fmt.Sprintf("%s=%d", k, t.Calls[k]))
	}
	fmt.Fprintf(tw, "calls per provider (status)\t%s\n", strings.Join(calls, " "))
	fakeCalls := sys.Fakes.Calls()
	names = names[:0]
	for k, v := range fakeCalls {
		if v > 0 {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	calls = calls[:0]
	for _, k := range names {
		calls = append(calls, fmt.Sprintf("%s=%d", k, fakeCalls[k]))
	}
	fmt.Fprintf(tw, "requests the fakes received\t%s\n", strings.Join(calls, " "))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, q := range mirror.OperationsQueries() {
		fmt.Fprintf(out, "\n-- %s (backfill_log)\n", q.Name)
		if err := printQuery(ctx, out, sys, q.SQL); err != nil {
			return fmt.Errorf("operations query %s: %w", q.Name, err)
		}
	}
	if states[v1alpha1.MonthFailed] > 0 || states[v1alpha1.MonthCompleted] != len(months) {
		return errors.New("the campaign ended with months not completed (see the summary above)")
	}
	return nil
}

func printQuery(ctx context.Context, out io.Writer, sys *localsystem.System, sql string) error {
	rows, err := sys.DB.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	var header []string
	for _, f := range rows.FieldDescriptions() {
		header = append(header, f.Name)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	n := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = cell(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "(%d rows)\n", n)
	return nil
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.Format(time.RFC3339)
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return "NULL"
		}
		return strconv.FormatFloat(f.Float64, 'f', 2, 64)
	case pgtype.Interval:
		d := time.Duration(x.Microseconds)*time.Microsecond + time.Duration(x.Days)*24*time.Hour
		return d.Round(time.Second).String()
	default:
		return fmt.Sprint(x)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cut(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
