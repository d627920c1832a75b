package rerun

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

var now = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)

const uid = "3f9c1e0a-campaign-uid"

func month(phase string, year, mon int32, state v1alpha1.MonthState) *builders.MonthBuilder {
	return builders.MakeMonth("c", "ns", phase, year, mon).State(state)
}

func TestSelects(t *testing.T) {
	failed := month("p", 2020, 5, v1alpha1.MonthFailed).Obj()
	completed := func(books, resolved int32) *v1alpha1.BackfillMonth {
		return month("p", 2020, 5, v1alpha1.MonthCompleted).Results(books, resolved).Obj()
	}
	bothStates := []v1alpha1.MonthState{v1alpha1.MonthFailed, v1alpha1.MonthCompleted}
	onlyCompleted := []v1alpha1.MonthState{v1alpha1.MonthCompleted}
	cm := func(y, m int32) *v1alpha1.CalendarMonth { return &v1alpha1.CalendarMonth{Year: y, Month: m} }
	tests := map[string]struct {
		rerun v1alpha1.Rerun
		month *v1alpha1.BackfillMonth
		want  bool
	}{
		"no states given selects Failed":            {v1alpha1.Rerun{}, failed, true},
		"no states given leaves Completed":          {v1alpha1.Rerun{}, completed(20, 20), false},
		"never a Pending month":                     {v1alpha1.Rerun{States: bothStates}, month("p", 2020, 5, v1alpha1.MonthPending).Obj(), false},
		"never a month the controller has not seen": {v1alpha1.Rerun{States: bothStates}, builders.MakeMonth("c", "ns", "p", 2020, 5).Obj(), false},
		"never a running month":                     {v1alpha1.Rerun{States: bothStates}, month("p", 2020, 5, v1alpha1.MonthProcessing).Obj(), false},
		"never a month waiting to retry":            {v1alpha1.Rerun{States: bothStates}, month("p", 2020, 5, v1alpha1.MonthRetry).Obj(), false},
		"Completed only":                            {v1alpha1.Rerun{States: onlyCompleted}, failed, false},
		"a spec stored before validation cannot select a Pending month": {
			v1alpha1.Rerun{States: []v1alpha1.MonthState{v1alpha1.MonthPending, v1alpha1.MonthProcessing}}, month("p", 2020, 5, v1alpha1.MonthPending).Obj(), false},
		"Completed without a bar: all of them":     {v1alpha1.Rerun{States: onlyCompleted}, completed(20, 20), true},
		"phase listed":                             {v1alpha1.Rerun{Phases: []string{"q", "p"}}, failed, true},
		"phase not listed":                         {v1alpha1.Rerun{Phases: []string{"q"}}, failed, false},
		"from is inclusive":                        {v1alpha1.Rerun{From: cm(2020, 5)}, failed, true},
		"before from":                              {v1alpha1.Rerun{From: cm(2020, 6)}, failed, false},
		"to is inclusive":                          {v1alpha1.Rerun{To: cm(2020, 5)}, failed, true},
		"after to":                                 {v1alpha1.Rerun{To: cm(2020, 4)}, failed, false},
		"a later year's early month is after to":   {v1alpha1.Rerun{To: cm(2019, 12)}, failed, false},
		"an earlier year's late month is in range": {v1alpha1.Rerun{From: cm(2019, 12), To: cm(2021, 1)}, failed, true},
		"rate below the bar":                       {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](80)}, completed(20, 15), true},
		"rate exactly at the bar is not below":     {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](80)}, completed(20, 16), false},
		"79.99% is below 80":                       {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](80)}, completed(9999, 7999), true},
		"no books is a rate of 0":                  {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](1)}, completed(0, 0), true},
		"a bar of 0 selects nothing":               {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](0)}, completed(0, 0), false},
		"a bar of 100 selects all but perfect":     {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](100)}, completed(20, 20), false},
		"fewer books than the bar":                 {v1alpha1.Rerun{States: onlyCompleted, BooksFewerThan: ptr.To[int32](5)}, completed(4, 4), true},
		"as many books as the bar":                 {v1alpha1.Rerun{States: onlyCompleted, BooksFewerThan: ptr.To[int32](5)}, completed(5, 1), false},
		"either bar falling short selects": {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](50), BooksFewerThan: ptr.To[int32](5)},
			completed(4, 4), true},
		"meeting both bars leaves it": {v1alpha1.Rerun{States: onlyCompleted, ResolutionRateBelow: ptr.To[int32](50), BooksFewerThan: ptr.To[int32](5)},
			completed(10, 9), false},
		"a Failed month falls short of any bar": {v1alpha1.Rerun{States: bothStates, ResolutionRateBelow: ptr.To[int32](10)}, failed, true},
		"all conditions must hold": {v1alpha1.Rerun{States: onlyCompleted, Phases: []string{"p"}, From: cm(2021, 1), BooksFewerThan: ptr.To[int32](5)},
			completed(1, 1), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Selects(&tc.rerun, tc.month); got != tc.want {
				t.Fatalf("Selects = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestToken(t *testing.T) {
	a := Token(uid, "after-outage")
	if a != Token(uid, "after-outage") {
		t.Fatal("the token changes between calls: a restarted manager would ask the months again")
	}
	if a == Token(uid, "after-outage-2") || a == Token("another-uid", "after-outage") {
		t.Fatal("two reruns share a token: a month that honoured one would ignore the other")
	}
	if !strings.HasPrefix(a, "spec/after-outage/") {
		t.Fatalf("token %q does not say which rerun set it", a)
	}
	if long := Token(uid, strings.Repeat("r", 63)); len(long) > 253 {
		t.Fatalf("token of %d characters exceeds what the month's status can hold", len(long))
	}
}

func rerun(name string, states ...v1alpha1.MonthState) v1alpha1.Rerun {
	return v1alpha1.Rerun{Name: name, States: states}
}

func entry(name string, state v1alpha1.RerunState, matched int32, waiting ...string) v1alpha1.RerunStatus {
	st := v1alpha1.RerunStatus{Name: name, Token: Token(uid, name), State: state, Matched: matched, Waiting: waiting,
		StartedAt: metav1.Time{Time: now.Add(-time.Hour)}}
	st.Done = matched - int32(len(waiting))
	if state == v1alpha1.RerunFinished {
		st.FinishedAt = &metav1.Time{Time: now.Add(-time.Minute)}
	}
	return st
}

func finishedNow(st v1alpha1.RerunStatus) v1alpha1.RerunStatus {
	st.State, st.FinishedAt, st.Waiting, st.Done = v1alpha1.RerunFinished, &metav1.Time{Time: now}, nil, st.Matched
	return st
}

func requests(rs []Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, Key(r.Month)+"="+r.Token)
	}
	return out
}

func TestDecide(t *testing.T) {
	tok := Token(uid, "again")
	asked := func(m *builders.MonthBuilder) *builders.MonthBuilder {
		return m.Annotation(v1alpha1.AnnotationRerun, tok)
	}
	f := func(y, m int32) *builders.MonthBuilder { return month("p", y, m, v1alpha1.MonthFailed) }
	tests := map[string]struct {
		spec     []v1alpha1.Rerun
		status   []v1alpha1.RerunStatus
		months   []*v1alpha1.BackfillMonth
		requests []string
		want     []v1alpha1.RerunStatus
	}{
		"first seen: recorded with what it matched, nothing asked before the record is stored": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			months: []*v1alpha1.BackfillMonth{f(2020, 3).Obj(), month("p", 2020, 1, v1alpha1.MonthCompleted).Obj(), f(2019, 12).Obj(), month("p", 2020, 2, v1alpha1.MonthProcessing).Obj()},
			want: []v1alpha1.RerunStatus{{Name: "again", Token: tok, State: v1alpha1.RerunRequesting, Matched: 2,
				Waiting: []string{"2019-12", "2020-03"}, StartedAt: metav1.Time{Time: now}}},
		},
		"first seen and matching nothing: finished at once": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			months: []*v1alpha1.BackfillMonth{month("p", 2020, 1, v1alpha1.MonthCompleted).Obj()},
			want: []v1alpha1.RerunStatus{{Name: "again", Token: tok, State: v1alpha1.RerunFinished,
				StartedAt: metav1.Time{Time: now}, FinishedAt: &metav1.Time{Time: now}}},
		},
		"recorded: asks every waiting month once; already asked or gone are skipped": {
			spec:     []v1alpha1.Rerun{rerun("again")},
			status:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRequesting, 4, "2020-01", "2020-02", "2020-03", "2020-04")},
			months:   []*v1alpha1.BackfillMonth{f(2020, 1).Obj(), asked(f(2020, 2)).Obj(), honour(asked(month("p", 2020, 3, v1alpha1.MonthPending)).Obj(), tok)},
			requests: []string{"2020-01=" + tok},
			// 2020-04 is gone for good: it will not run again, so it counts as done
			want: []v1alpha1.RerunStatus{func() v1alpha1.RerunStatus {
				st := entry("again", v1alpha1.RerunRunning, 4, "2020-01", "2020-02", "2020-03")
				return st
			}()},
		},
		"a pass cut short asks the recorded months, not what matches now": {
			spec:     []v1alpha1.Rerun{rerun("again")},
			status:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRequesting, 2, "2020-01", "2020-02")},
			months:   []*v1alpha1.BackfillMonth{asked(f(2020, 1)).Obj(), f(2020, 2).Obj(), f(2020, 5).Obj()},
			requests: []string{"2020-02=" + tok},
			want:     []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
		},
		"asked but not yet honoured: the old Failed state is not the new run": {
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 1, "2020-01")},
			spec:   []v1alpha1.Rerun{rerun("again")},
			months: []*v1alpha1.BackfillMonth{asked(f(2020, 1)).Obj()},
			want:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 1, "2020-01")},
		},
		"honoured and waiting for admission or running: not done": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
			months: []*v1alpha1.BackfillMonth{honour(asked(month("p", 2020, 1, v1alpha1.MonthPending)).Obj(), tok),
				honour(asked(month("p", 2020, 2, v1alpha1.MonthRetry)).Obj(), tok)},
			want: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
		},
		"honoured and finished, Completed or Failed again: done": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 3, "2020-01", "2020-02", "2020-03")},
			months: []*v1alpha1.BackfillMonth{honour(asked(month("p", 2020, 1, v1alpha1.MonthCompleted)).Obj(), tok),
				honour(asked(f(2020, 2)).Obj(), tok), honour(asked(month("p", 2020, 3, v1alpha1.MonthProcessing)).Obj(), tok)},
			want: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 3, "2020-03")},
		},
		"the last month done: finished": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 3, "2020-03")},
			months: []*v1alpha1.BackfillMonth{honour(asked(month("p", 2020, 3, v1alpha1.MonthCompleted)).Obj(), tok)},
			want:   []v1alpha1.RerunStatus{finishedNow(entry("again", v1alpha1.RerunRunning, 3, "2020-03"))},
		},
		"a per-month rerun that took over the request counts once it finished": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
			months: []*v1alpha1.BackfillMonth{
				honour(f(2020, 1).Annotation(v1alpha1.AnnotationRerun, "plugin-1").Obj(), "plugin-1"),
				f(2020, 2).Annotation(v1alpha1.AnnotationRerun, "plugin-2").Obj()}, // asked by the plugin, not yet honoured
			want: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-02")},
		},
		"a month deleted and recreated by the campaign counts once its new incarnation finished": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
			months: []*v1alpha1.BackfillMonth{month("p", 2020, 1, v1alpha1.MonthCompleted).Obj(), month("p", 2020, 2, v1alpha1.MonthPending).Obj()},
			want:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-02")},
		},
		"a recorded rerun whose selector was edited keeps what it matched": {
			spec:     []v1alpha1.Rerun{{Name: "again", States: []v1alpha1.MonthState{v1alpha1.MonthCompleted}}},
			status:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRequesting, 1, "2020-01")},
			months:   []*v1alpha1.BackfillMonth{f(2020, 1).Obj(), month("p", 2020, 2, v1alpha1.MonthCompleted).Obj()},
			requests: []string{"2020-01=" + tok},
			want:     []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 1, "2020-01")},
		},
		"applies once: a finished rerun still in the spec matches nothing again": {
			spec:   []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunFinished, 1)},
			months: []*v1alpha1.BackfillMonth{f(2020, 1).Obj(), f(2020, 2).Obj()},
			want:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunFinished, 1)},
		},
		"removed from the spec: marked, and what started goes on": {
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")},
			months: []*v1alpha1.BackfillMonth{honour(asked(month("p", 2020, 1, v1alpha1.MonthCompleted)).Obj(), tok), honour(asked(month("p", 2020, 2, v1alpha1.MonthProcessing)).Obj(), tok)},
			want: []v1alpha1.RerunStatus{func() v1alpha1.RerunStatus {
				st := entry("again", v1alpha1.RerunRunning, 2, "2020-02")
				st.Removed = true
				return st
			}()},
		},
		"removed before its months were asked: they are still asked (the record is a promise)": {
			status:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRequesting, 1, "2020-01")},
			months:   []*v1alpha1.BackfillMonth{f(2020, 1).Obj()},
			requests: []string{"2020-01=" + tok},
			want: []v1alpha1.RerunStatus{func() v1alpha1.RerunStatus {
				st := entry("again", v1alpha1.RerunRunning, 1, "2020-01")
				st.Removed = true
				return st
			}()},
		},
		"put back after removal: not applied again": {
			spec: []v1alpha1.Rerun{rerun("again")},
			status: []v1alpha1.RerunStatus{func() v1alpha1.RerunStatus {
				st := entry("again", v1alpha1.RerunFinished, 1)
				st.Removed = true
				return st
			}()},
			months: []*v1alpha1.BackfillMonth{f(2020, 1).Obj()},
			want:   []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunFinished, 1)},
		},
		"a new name is a new rerun, beside the old": {
			spec:   []v1alpha1.Rerun{rerun("again"), rerun("again-2")},
			status: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunFinished, 1)},
			months: []*v1alpha1.BackfillMonth{f(2020, 1).Obj()},
			want: []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunFinished, 1),
				{Name: "again-2", Token: Token(uid, "again-2"), State: v1alpha1.RerunRequesting, Matched: 1, Waiting: []string{"2020-01"}, StartedAt: metav1.Time{Time: now}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := Decide(Input{Now: now, Campaign: uid, Spec: tc.spec, Status: tc.status, Months: tc.months})
			if got := requests(d.Requests); !reflect.DeepEqual(got, tc.requests) {
				t.Errorf("requests = %v, want %v", got, tc.requests)
			}
			if !reflect.DeepEqual(d.Status, tc.want) {
				t.Errorf("status =\n  %+v\nwant\n  %+v", d.Status, tc.want)
			}
		})
	}
}

func TestDecideDoesNotChangeItsInput(t *testing.T) {
	status := []v1alpha1.RerunStatus{entry("again", v1alpha1.RerunRunning, 2, "2020-01", "2020-02")}
	before := *status[0].DeepCopy()
	Decide(Input{Now: now, Campaign: uid, Status: status,
		Months: []*v1alpha1.BackfillMonth{month("p", 2020, 1, v1alpha1.MonthCompleted).Obj()}})
	if !reflect.DeepEqual(status[0], before) {
		t.Fatalf("Decide changed the stored status: %+v", status[0])
	}
}

func TestStatusStaysBounded(t *testing.T) {
	var status []v1alpha1.RerunStatus
	for i := 0; i < MaxStatusEntries; i++ {
		st := entry(fmt.Sprintf("old-%02d", i), v1alpha1.RerunFinished, 0)
		st.FinishedAt = &metav1.Time{Time: now.Add(-time.Duration(100-i) * time.Hour)}
		st.Removed = true
		status = append(status, st)
	}
	status[0].State, status[0].FinishedAt = v1alpha1.RerunRunning, nil // still running: never forgotten
	status[0].Waiting, status[0].Matched = []string{"2020-01"}, 1
	spec := []v1alpha1.Rerun{rerun("new-1"), rerun("new-2")}
	d := Decide(Input{Now: now, Campaign: uid, Spec: spec, Status: status,
		Months: []*v1alpha1.BackfillMonth{month("p", 2020, 1, v1alpha1.MonthRetry).Obj()}})
	if len(d.Status) != MaxStatusEntries {
		t.Fatalf("%d entries, want %d", len(d.Status), MaxStatusEntries)
	}
	var names []string
	for _, st := range d.Status {
		names = append(names, st.Name)
	}
	got := strings.Join(names, ",")
	if !strings.HasPrefix(got, "old-00,old-03,") || !strings.HasSuffix(got, "new-1,new-2") {
		t.Fatalf("kept %s: want the running rerun, the new ones, and the most recently finished", got)
	}
}

func TestTransitions(t *testing.T) {
	recorded := entry("again", v1alpha1.RerunRequesting, 2, "2020-01", "2020-02")
	running := entry("again", v1alpha1.RerunRunning, 2, "2020-02")
	done := finishedNow(running)
	empty := finishedNow(entry("none", v1alpha1.RerunRequesting, 0))
	tests := map[string]struct {
		before, after []v1alpha1.RerunStatus
		want          []string
	}{
		"recorded":                   {nil, []v1alpha1.RerunStatus{recorded}, []string{"RerunRecorded: Rerun again matched 2 month(s); each will run again once, through admission"}},
		"progress is no event":       {[]v1alpha1.RerunStatus{recorded}, []v1alpha1.RerunStatus{running}, nil},
		"finished":                   {[]v1alpha1.RerunStatus{running}, []v1alpha1.RerunStatus{done}, []string{"RerunFinished: Rerun again finished: 2 of 2 month(s) ran again"}},
		"finished stays quiet":       {[]v1alpha1.RerunStatus{done}, []v1alpha1.RerunStatus{done}, nil},
		"matching nothing says so":   {nil, []v1alpha1.RerunStatus{empty}, []string{"RerunRecorded: Rerun none matched 0 month(s); each will run again once, through admission", "RerunFinished: Rerun none finished: 0 of 0 month(s) ran again"}},
		"forgetting one is no event": {[]v1alpha1.RerunStatus{done}, nil, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range Transitions(tc.before, tc.after) {
				got = append(got, e.Reason+": "+e.Note)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAwaitsRequest(t *testing.T) {
	if AwaitsRequest(nil) || AwaitsRequest([]v1alpha1.RerunStatus{entry("a", v1alpha1.RerunRunning, 1, "2020-01"), entry("b", v1alpha1.RerunFinished, 0)}) {
		t.Fatal("no rerun waits to ask its months, but a pass is asked for")
	}
	if !AwaitsRequest([]v1alpha1.RerunStatus{entry("a", v1alpha1.RerunFinished, 0), entry("b", v1alpha1.RerunRequesting, 1, "2020-01")}) {
		t.Fatal("a recorded rerun would wait for an unrelated event to ask its months")
	}
}
