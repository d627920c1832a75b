package plugin_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[a-zA-Z]")

func TestStatus(t *testing.T) {
	_, now := seed(t, "golden-status")
	r := runner{now: now}
	golden(t, "status", r.must(t, "status", "alexandria", "-n", "golden-status").out, true)
	color := runner{now: now, tty: true}.must(t, "status", "alexandria", "-n", "golden-status").out
	if !strings.Contains(color, "\x1b[") {
		t.Error("status on a terminal without NO_COLOR has no colour")
	}
	golden(t, "status-color", color, true)

	// the kubeconfig's context namespace, as kubectl: no -n needed
	addContext(t, "books", "golden-status")
	if got := r.must(t, "status", "alexandria", "--context", "books").out; stamps.ReplaceAllString(got, "<date>") != stamps.ReplaceAllString(r.must(t, "status", "alexandria", "-n", "golden-status").out, "<date>") {
		t.Errorf("--context books (namespace golden-status) shows another status:\n%s", got)
	}
	if res := r.run(t, "status", "alexandria"); res.fail == nil || !strings.Contains(res.fail.Error(), "not found in namespace default") {
		t.Errorf("status in a namespace without the campaign: err %v, want not found in namespace default", res.fail)
	}
}

func TestStatusWatchPrintsFrames(t *testing.T) {
	_, now := seed(t, "golden-watch")
	r := runner{now: now, maxFrames: 3}
	out := r.must(t, "status", "alexandria", "-n", "golden-watch", "--watch", "--interval", "100ms").out
	if n := strings.Count(out, "--- "); n != 3 {
		t.Errorf("a watch without a terminal printed %d frame headers, want 3:\n%s", n, out)
	}
	if n := strings.Count(out, "Campaign golden-watch/alexandria"); n != 3 {
		t.Errorf("%d frames, want 3", n)
	}
	tty := runner{now: now, maxFrames: 2, tty: true, env: map[string]string{"NO_COLOR": "1"}}
	out = tty.must(t, "heatmap", "alexandria", "-n", "golden-watch", "-w", "--interval", "100ms").out
	if n := strings.Count(out, "\x1b[H\x1b[2J"); n != 2 {
		t.Errorf("a watch on a terminal cleared the screen %d times, want 2", n)
	}
	if strings.Contains(ansi.ReplaceAllString(out, ""), "\x1b") || strings.Contains(strings.ReplaceAll(out, "\x1b[H\x1b[2J", ""), "\x1b") {
		t.Error("NO_COLOR set, yet the heatmap has colour codes")
	}
}

func TestHeatmap(t *testing.T) {
	_, now := seed(t, "golden-heatmap")
	args := []string{"heatmap", "alexandria", "-n", "golden-heatmap"}
	plain := runner{now: now}.must(t, args...).out // not a terminal
	noColor := runner{now: now, tty: true, env: map[string]string{"NO_COLOR": "1"}}.must(t, args...).out
	color := runner{now: now, tty: true}.must(t, args...).out
	if plain != noColor {
		t.Error("NO_COLOR on a terminal draws differently from a pipe")
	}
	if strings.Contains(plain, "\x1b") {
		t.Error("colour codes without a terminal")
	}
	if !strings.Contains(color, "\x1b[") || ansi.ReplaceAllString(color, "") != plain {
		t.Error("the coloured heatmap must be the plain one plus colour")
	}
	golden(t, "heatmap", plain, false)
	golden(t, "heatmap-color", color, false)
	years := 0
	for _, line := range strings.Split(plain, "\n") {
		if w := utf8.RuneCountInString(line); w > 80 {
			t.Errorf("line wider than 80 columns (%d): %q", w, line)
		}
		if regexp.MustCompile(`^(19|20)\d\d `).MatchString(line) {
			years++
		}
	}
	if years != 25 {
		t.Errorf("%d year rows, want 25 (1999-2023)", years)
	}
	always := runner{now: now}
	if got := always.must(t, append(args, "--color", "always")...).out; got != color {
		t.Error("--color always differs from colour on a terminal")
	}
}

func TestMonths(t *testing.T) {
	_, now := seed(t, "golden-months")
	r := runner{now: now}
	ns := []string{"-n", "golden-months"}
	golden(t, "months-validate", r.must(t, append([]string{"months", "alexandria", "--phase", "validate"}, ns...)...).out, true)
	golden(t, "months-failing-wide", r.must(t, append([]string{"months", "--state", "failed,Retry", "-o", "wide"}, ns...)...).out, true)
	// other tests' namespaces come and go: the golden keeps this test's own lines of -A
	seed(t, "golden-months-all-ns") // the longest namespace name, so the column width is its own
	all := r.must(t, "months", "alexandria", "-A", "--below-rate", "50", "--year", "2021,2022").out
	var mine []string
	for _, line := range strings.SplitAfter(all, "\n") {
		if strings.HasPrefix(line, "NAMESPACE ") || strings.HasPrefix(line, "golden-months") {
			mine = append(mine, line)
		}
	}
	golden(t, "months-all-namespaces", strings.Join(mine, ""), true)
	golden(t, "months-name", r.must(t, append([]string{"months", "--year", "2023", "-o", "name"}, ns...)...).out, false)

	var list v1alpha1.BackfillMonthList
	if err := json.Unmarshal([]byte(r.must(t, append([]string{"months", "--state", "Completed", "-o", "json"}, ns...)...).out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 12+36-4-3-2+1 || list.Kind != "BackfillMonthList" {
		t.Errorf("-o json: %d Completed months of kind %q", len(list.Items), list.Kind)
	}
	for _, m := range list.Items {
		if m.Status.State != v1alpha1.MonthCompleted || m.Kind != "BackfillMonth" {
			t.Errorf("-o json --state Completed holds %s in state %s", m.Name, m.Status.State)
		}
	}
	var fromYAML v1alpha1.BackfillMonthList
	if err := yaml.Unmarshal([]byte(r.must(t, append([]string{"months", "--phase", "history", "-o", "yaml"}, ns...)...).out), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if len(fromYAML.Items) != 21*12 {
		t.Errorf("-o yaml --phase history: %d months, want 252", len(fromYAML.Items))
	}
	if res := r.run(t, append([]string{"months", "--state", "Done"}, ns...)...); res.fail == nil {
		t.Error("an unknown state was accepted")
	}
	if res := r.run(t, append([]string{"months", "-o", "table"}, ns...)...); res.fail == nil {
		t.Error("an unknown output format was accepted")
	}
	if res := r.must(t, "months", "--year", "1850", "-n", "golden-months"); res.out != "" || !strings.Contains(res.err, "No months found") {
		t.Errorf("no match: out %q err %q", res.out, res.err)
	}
}

func TestCompletion(t *testing.T) {
	seed(t, "golden-complete")
	r := runner{}
	out := r.must(t, "__complete", "-n", "golden-complete", "status", "al").out
	if !strings.HasPrefix(out, "alexandria\n") {
		t.Errorf("campaign completion = %q", out)
	}
	out = r.must(t, "__complete", "-n", "golden-complete", "logs", "alexandria-2020-1").out
	for _, want := range []string{"alexandria-2020-10\n", "alexandria-2020-11\n", "alexandria-2020-12\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("month completion lacks %q: %q", want, out)
		}
	}
	out = r.must(t, "__complete", "-n", "golden-complete", "approve", "alexandria", "").out
	if !strings.HasPrefix(out, "history\n") {
		t.Errorf("phase completion for approve = %q, want the Manual phase history", out)
	}
	if out := r.must(t, "completion", "bash").out; !strings.Contains(out, "__start_kubectl-backfill") {
		t.Error("no bash completion script")
	}
}
