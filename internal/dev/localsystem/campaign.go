package localsystem

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
)

// Phase is one phase over months from..to of a year, admitted as fast as concurrent allows.
func Phase(name string, year, from, to, concurrent int32) v1alpha1.Phase {
	return v1alpha1.Phase{
		Name: name, Years: v1alpha1.YearRange{From: year, To: year},
		Months:       &v1alpha1.MonthRange{From: from, To: to},
		MonthsPerDay: 1000, MaxConcurrent: concurrent,
	}
}

// Campaign is a campaign against the system's fakes, in a namespace made by Namespace: every
// provider's base URL points at them, keys come from APIKeysSecret, rates are high enough that
// only the operator paces the run, and retries back off for a second or two.
func (s *System) Campaign(ns, name string, phases ...v1alpha1.Phase) *v1alpha1.BackfillCampaign {
	u := s.Fakes.BaseURLs()
	keyRef := func(key string) *v1alpha1.SecretKeyRef {
		return &v1alpha1.SecretKeyRef{Name: APIKeysSecret, Key: key}
	}
	src := func(base string, key string) *v1alpha1.SourceSpec {
		s := &v1alpha1.SourceSpec{BaseURL: base, RequestsPerSecond: ptr.To[int32](100)}
		if key != "" {
			s.APIKeySecretRef = keyRef(key)
		}
		return s
	}
	return &v1alpha1.BackfillCampaign{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.BackfillCampaignSpec{
			Phases:        phases,
			BooksPerMonth: 6,
			Generators: v1alpha1.GeneratorSpec{
				Gemini: &v1alpha1.ModelSpec{BaseURL: u[fakes.ProviderGemini], APIKeySecretRef: keyRef(KeyGemini)},
				XAI:    &v1alpha1.ModelSpec{BaseURL: u[fakes.ProviderXAI], APIKeySecretRef: keyRef(KeyXAI)},
			},
			Resolver: v1alpha1.ResolverSpec{
				ISBNdb:      src(u[fakes.SourceISBNdb], KeyISBNdb),
				GoogleBooks: src(u[fakes.SourceGoogleBooks], KeyGoogleBooks),
				OpenLibrary: src(u[fakes.SourceOpenLibrary], ""),
				LOC:         src(u[fakes.SourceLOC], ""),
				Wikidata:    src(u[fakes.SourceWikidata], ""),
				Archive:     src(u[fakes.SourceArchive], ""),
			},
			Retry: v1alpha1.RetryPolicy{
				MaxAttempts: 3,
				BackoffBase: &metav1.Duration{Duration: time.Second},
				BackoffCap:  &metav1.Duration{Duration: 2 * time.Second},
			},
			Job: v1alpha1.JobSpec{DatabaseSecretRef: &v1alpha1.SecretKeyRef{Name: DatabaseSecret, Key: DatabaseSecretKey}},
		},
	}
}
