package attemptjob

import (
	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/worker"
)

// WorkerArgs renders the worker command line of an attempt from the campaign's spec and the
// month, through worker.Config so the flags are defined in one place.
func WorkerArgs(c *v1alpha1.BackfillCampaign, m *v1alpha1.BackfillMonth, attempt int) []string {
	cfg := worker.DefaultConfig()
	cfg.Namespace, cfg.Campaign, cfg.Phase = m.Namespace, m.Spec.Campaign, m.Spec.Phase
	cfg.Year, cfg.Month, cfg.Attempt = int(m.Spec.Year), int(m.Spec.Month), attempt
	cfg.Mode = worker.ModeLive
	if c.Spec.Mode == v1alpha1.ModeExperiment {
		cfg.Mode = worker.ModeExperiment
	}
	cfg.PromptVariant = string(m.Spec.PromptVariant)
	cfg.BooksPerMonth = int(m.Spec.BooksPerMonth)
	g := c.Spec.Generators
	if g.Gemini != nil {
		cfg.GeminiModel = or(g.Gemini.Model, cfg.GeminiModel)
		cfg.GeminiBaseURL = g.Gemini.BaseURL
	}
	if g.XAI != nil {
		cfg.XAIModel = or(g.XAI.Model, cfg.XAIModel)
		cfg.XAIBaseURL = g.XAI.BaseURL
	}
	if g.Timeout != nil {
		cfg.GenerateTimeout = g.Timeout.Duration
	}
	r := c.Spec.Resolver
	if len(r.Sources) > 0 {
		cfg.Sources = cfg.Sources[:0]
		for _, s := range r.Sources {
			cfg.Sources = append(cfg.Sources, string(s))
		}
	}
	source(r.ISBNdb, &cfg.ISBNdbBaseURL, &cfg.ISBNdbRate)
	source(r.GoogleBooks, &cfg.GoogleBooksBaseURL, &cfg.GoogleBooksRate)
	source(r.OpenLibrary, &cfg.OpenLibraryBaseURL, &cfg.OpenLibraryRate)
	source(r.LOC, &cfg.LOCBaseURL, &cfg.LOCRate)
	source(r.Wikidata, &cfg.WikidataBaseURL, &cfg.WikidataRate)
	source(r.Archive, &cfg.ArchiveBaseURL, &cfg.ArchiveRate)
	return append([]string{"worker"}, cfg.Args()...)
}

func source(s *v1alpha1.SourceSpec, baseURL *string, rate *float64) {
	if s == nil {
		return
	}
	if s.BaseURL != "" {
		*baseURL = s.BaseURL
	}
	if s.RequestsPerSecond != nil {
		*rate = float64(*s.RequestsPerSecond)
	}
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
