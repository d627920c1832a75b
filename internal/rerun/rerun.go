// Package rerun decides the campaign side of the reruns declared in spec.reruns: which months a
// rerun selects, the token it asks them to run again with, and how far each rerun has got.
//
// A rerun is recorded in status.reruns (with the months it matched) before any month is asked,
// then each matched month gets the rerun's token in its rerun annotation; the month's own state
// machine honours a token once. Because the matched set is stored first and the token is derived
// from the campaign's UID and the rerun's name, a pass cut short at any point finishes on the
// next pass with the same months and the same token.
package rerun

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// MaxStatusEntries bounds status.reruns (the CRD's MaxItems): removed, finished reruns are
// forgotten oldest first beyond it.
const MaxStatusEntries = 64

// Event reasons of reruns.
const (
	EventRerunRecorded = "RerunRecorded"
	EventRerunFinished = "RerunFinished"
)

// Token is the rerun annotation value of the rerun name of the campaign with this UID. It is
// derived, not drawn, so every pass and every replica computes the same one; the UID keeps a
// re-created campaign's rerun of the same name from passing for the old one.
func Token(campaign types.UID, name string) string {
	sum := sha256.Sum256([]byte(string(campaign) + "/" + name))
	return "spec/" + name + "/" + hex.EncodeToString(sum[:])[:12]
}

// Key is the month's YYYY-MM, the form status.reruns[].waiting lists.
func Key(m *v1alpha1.BackfillMonth) string {
	return fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
}

// Selects reports whether the rerun's selector matches the month as it is now: every condition
// given must hold.
func Selects(r *v1alpha1.Rerun, m *v1alpha1.BackfillMonth) bool {
	state := m.EffectiveState()
	// only a finished run can be run again, whatever a spec stored before today's validation says
	if !state.Finished() || !slices.Contains(r.EffectiveStates(), state) {
		return false
	}
	if len(r.Phases) > 0 && !slices.Contains(r.Phases, m.Spec.Phase) {
		return false
	}
	at := index(m.Spec.Year, m.Spec.Month)
	if r.From != nil && at < index(r.From.Year, r.From.Month) {
		return false
	}
	if r.To != nil && at > index(r.To.Year, r.To.Month) {
		return false
	}
	if r.ResolutionRateBelow == nil && r.BooksFewerThan == nil {
		return true
	}
	if state == v1alpha1.MonthFailed {
		return true // no results to judge: it fell short of any bar
	}
	return belowRate(r.ResolutionRateBelow, m.Status.Metrics) || fewerBooks(r.BooksFewerThan, m.Status.Metrics)
}

func index(year, month int32) int32 { return year*12 + month - 1 }

// belowRate compares in integers, as the gate does: resolved/generated < bar/100. A month that
// generated nothing has a rate of 0.
func belowRate(bar *int32, mm v1alpha1.MonthMetrics) bool {
	if bar == nil {
		return false
	}
	return int64(mm.ISBNsResolved)*100 < int64(*bar)*int64(mm.BooksGenerated) || (mm.BooksGenerated == 0 && *bar > 0)
}

func fewerBooks(bar *int32, mm v1alpha1.MonthMetrics) bool {
	return bar != nil && mm.BooksGenerated < *bar
}

// Input is what the campaign's reruns depend on.
type Input struct {
	Now      time.Time
	Campaign types.UID
	// Spec is spec.reruns; Status is status.reruns as stored.
	Spec   []v1alpha1.Rerun
	Status []v1alpha1.RerunStatus
	// Months are the campaign's months.
	Months []*v1alpha1.BackfillMonth
}

// Request is one month to ask for another run: set its rerun annotation to Token.
type Request struct {
	Month *v1alpha1.BackfillMonth
	Token string
}

// Decision is what to do about the campaign's reruns in this pass.
type Decision struct {
	// Requests are the annotations to set. Status assumes all of them were set: a pass that
	// could not set them all must not write it (the next pass asks again, the same months).
	Requests []Request
	// Status is the new status.reruns.
	Status []v1alpha1.RerunStatus
}

// Decide moves each rerun one step: a rerun first seen is recorded with the months it matches
// (nothing is asked yet, so a pass lost before the status write leaves no trace); a recorded
// rerun asks its months; a running one counts the months that finished their new run. A rerun
// applies once: an entry in status is never matched again, even when its name leaves the spec
// and comes back.
func Decide(in Input) Decision {
	var d Decision
	byKey := make(map[string]*v1alpha1.BackfillMonth, len(in.Months))
	for _, m := range in.Months {
		byKey[Key(m)] = m
	}
	inSpec := make(map[string]bool, len(in.Spec))
	for _, r := range in.Spec {
		inSpec[r.Name] = true
	}
	seen := make(map[string]bool, len(in.Status))
	for _, old := range in.Status {
		st := *old.DeepCopy()
		seen[st.Name] = true
		st.Removed = !inSpec[st.Name]
		asked := map[string]bool{}
		if st.State == v1alpha1.RerunRequesting {
			for _, k := range st.Waiting {
				m := byKey[k]
				if m == nil || requested(m) == st.Token || honouredToken(m) == st.Token {
					continue
				}
				d.Requests = append(d.Requests, Request{Month: m, Token: st.Token})
				asked[k] = true
			}
			st.State = v1alpha1.RerunRunning
		}
		if st.State == v1alpha1.RerunRunning {
			st.Waiting = slices.DeleteFunc(st.Waiting, func(k string) bool { return !asked[k] && ranAgain(byKey[k]) })
			st.Done = st.Matched - int32(len(st.Waiting))
			if len(st.Waiting) == 0 {
				st.Waiting = nil
				st.State = v1alpha1.RerunFinished
				st.FinishedAt = &metav1.Time{Time: in.Now}
			}
		}
		d.Status = append(d.Status, st)
	}
	for i := range in.Spec {
		r := &in.Spec[i]
		if seen[r.Name] {
			continue
		}
		d.Status = append(d.Status, record(r, in))
	}
	d.Status = prune(d.Status)
	return d
}

// AwaitsRequest reports a rerun recorded but not yet asked of its months: the pass after the
// status write that stored it must come soon, whatever else happens (nothing else changed).
func AwaitsRequest(sts []v1alpha1.RerunStatus) bool {
	return slices.ContainsFunc(sts, func(st v1alpha1.RerunStatus) bool { return st.State == v1alpha1.RerunRequesting })
}

// record is a rerun's first status: the months it matches now, none asked yet.
func record(r *v1alpha1.Rerun, in Input) v1alpha1.RerunStatus {
	st := v1alpha1.RerunStatus{
		Name: r.Name, Token: Token(in.Campaign, r.Name), State: v1alpha1.RerunRequesting,
		StartedAt: metav1.Time{Time: in.Now},
	}
	for _, m := range in.Months {
		if Selects(r, m) {
			st.Waiting = append(st.Waiting, Key(m))
		}
	}
	sort.Strings(st.Waiting)
	st.Matched = int32(len(st.Waiting))
	if st.Matched == 0 {
		st.State = v1alpha1.RerunFinished
		st.FinishedAt = &metav1.Time{Time: in.Now}
	}
	return st
}

// ranAgain reports whether an asked month has finished its new run: it is finished and no rerun
// request on it is outstanding. This holds whoever asked last (a later per-month rerun that
// took over the request counts once it finished), and for a month deleted and recreated by the
// campaign once its new incarnation finished. A month that is gone for good will not run again.
func ranAgain(m *v1alpha1.BackfillMonth) bool {
	if m == nil {
		return true
	}
	if !m.EffectiveState().Finished() {
		return false
	}
	want := requested(m)
	return want == "" || want == honouredToken(m)
}

// prune forgets the oldest reruns that are both removed from the spec and finished, beyond
// MaxStatusEntries; nothing still running is ever forgotten.
func prune(sts []v1alpha1.RerunStatus) []v1alpha1.RerunStatus {
	excess := len(sts) - MaxStatusEntries
	if excess <= 0 {
		return sts
	}
	var forget []int
	for i, st := range sts {
		if st.Removed && st.State == v1alpha1.RerunFinished {
			forget = append(forget, i)
		}
	}
	sort.SliceStable(forget, func(a, b int) bool {
		return finishedAt(sts[forget[a]]).Before(finishedAt(sts[forget[b]]))
	})
	if len(forget) > excess {
		forget = forget[:excess]
	}
	drop := map[int]bool{}
	for _, i := range forget {
		drop[i] = true
	}
	out := make([]v1alpha1.RerunStatus, 0, len(sts)-len(drop))
	for i, st := range sts {
		if !drop[i] {
			out = append(out, st)
		}
	}
	return out
}

func finishedAt(st v1alpha1.RerunStatus) time.Time {
	if st.FinishedAt == nil {
		return time.Time{}
	}
	return st.FinishedAt.Time
}

// Event is a rerun event, emitted after the status write that makes it true.
type Event struct {
	Type, Reason, Action, Note string
}

// Transitions are the events between two stored status.reruns.
func Transitions(before, after []v1alpha1.RerunStatus) []Event {
	was := make(map[string]v1alpha1.RerunState, len(before))
	for _, st := range before {
		was[st.Name] = st.State
	}
	var evs []Event
	for _, st := range after {
		old, known := was[st.Name]
		if !known {
			evs = append(evs, Event{corev1.EventTypeNormal, EventRerunRecorded, "Rerun",
				fmt.Sprintf("Rerun %s matched %d month(s); each will run again once, through admission", st.Name, st.Matched)})
		}
		if st.State == v1alpha1.RerunFinished && old != v1alpha1.RerunFinished {
			evs = append(evs, Event{corev1.EventTypeNormal, EventRerunFinished, "Rerun",
				fmt.Sprintf("Rerun %s finished: %d of %d month(s) ran again", st.Name, st.Done, st.Matched)})
		}
	}
	return evs
}
