// Package prompt builds the text the worker sends to the LLMs for one month: a registry of named
// prompt variants embedded in the binary, the year-based "auto" choice, and an optional
// operator-supplied template file that replaces the embedded text.
package prompt

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Variant names. Only these are accepted: the seed learned that passing free text where a variant
// name was expected silently produced empty months.
const (
	Auto                = "auto"
	Baseline            = "baseline"
	ContemporaryNotable = "contemporary-notable"
)

// contemporaryFromYear is the first year for which "auto" picks contemporary-notable: Grok refused
// the baseline wording ("can't verify historical significance") for recent years.
const contemporaryFromYear = 2020

// MaxBooks bounds the number of books one model is asked for.
const MaxBooks = 100

//go:embed templates/*.tmpl
var templates embed.FS

// ErrUnknownVariant is returned for a variant name outside the registry.
var ErrUnknownVariant = errors.New("unknown prompt variant")

// Variants lists the concrete variants, in a stable order.
func Variants() []string { return []string{Baseline, ContemporaryNotable} }

// Choose maps a requested variant to a concrete one: "" and "auto" depend on the year.
func Choose(variant string, year int) (string, error) {
	switch variant {
	case "", Auto:
		if year >= contemporaryFromYear {
			return ContemporaryNotable, nil
		}
		return Baseline, nil
	}
	if slices.Contains(Variants(), variant) {
		return variant, nil
	}
	return "", fmt.Errorf("%w %q (known: auto, %s)", ErrUnknownVariant, variant, strings.Join(Variants(), ", "))
}

// Request is the month and size a prompt is built for.
type Request struct {
	Year  int
	Month int // 1–12
	Books int // the most books one model may return
}

func (r Request) validate() error {
	switch {
	case r.Year < 1900 || r.Year > 2100:
		return fmt.Errorf("year %d outside 1900–2100", r.Year)
	case r.Month < 1 || r.Month > 12:
		return fmt.Errorf("month %d outside 1–12", r.Month)
	case r.Books < 1 || r.Books > MaxBooks:
		return fmt.Errorf("books per month %d outside 1–%d", r.Books, MaxBooks)
	}
	return nil
}

// templateData is what a template sees: {{.Year}}, {{.Month}}, {{.MonthName}}, {{.Books}}.
type templateData struct {
	Year      int
	Month     int
	MonthName string
	Books     int
}

// Prompt is the rendered text for one month.
type Prompt struct {
	Variant string // the concrete variant (never "auto")
	System  string // instructions shared by every variant
	User    string // the month-specific request
}

// Builder renders prompts for one configured variant.
type Builder struct {
	variant  string // as configured; may be "auto"
	override *template.Template
	system   *template.Template
}

// NewBuilder validates variant and, when file is not empty, loads the template file that replaces
// the embedded text of every variant (for trying a prompt without a new image).
func NewBuilder(variant, file string) (*Builder, error) {
	if _, err := Choose(variant, contemporaryFromYear); err != nil {
		return nil, err
	}
	system, err := template.ParseFS(templates, "templates/system.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parsing embedded system prompt: %w", err)
	}
	b := &Builder{variant: variant, system: system}
	if file != "" {
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading prompt file: %w", err)
		}
		b.override, err = template.New("prompt-file").Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("parsing prompt file %s: %w", file, err)
		}
	}
	return b, nil
}

// Build renders the prompt for r. The rendered request must name the month ("January 2020") and
// the number of books literally: the models, and the fakes that stand in for them, read both.
func (b *Builder) Build(r Request) (Prompt, error) {
	if err := r.validate(); err != nil {
		return Prompt{}, err
	}
	variant, err := Choose(b.variant, r.Year)
	if err != nil {
		return Prompt{}, err
	}
	tmpl := b.override
	if tmpl == nil {
		tmpl, err = template.ParseFS(templates, "templates/"+variant+".tmpl")
		if err != nil {
			return Prompt{}, fmt.Errorf("parsing embedded prompt %s: %w", variant, err)
		}
	}
	data := templateData{Year: r.Year, Month: r.Month, MonthName: time.Month(r.Month).String(), Books: r.Books}
	user, err := execute(tmpl, data)
	if err != nil {
		return Prompt{}, fmt.Errorf("rendering prompt %s: %w", variant, err)
	}
	monthYear := fmt.Sprintf("%s %d", data.MonthName, data.Year)
	if !strings.Contains(user, monthYear) {
		return Prompt{}, fmt.Errorf("rendered prompt does not name the month %q", monthYear)
	}
	if !strings.Contains(user, strconv.Itoa(r.Books)) {
		return Prompt{}, fmt.Errorf("rendered prompt does not state the number of books (%d)", r.Books)
	}
	system, err := execute(b.system, data)
	if err != nil {
		return Prompt{}, fmt.Errorf("rendering system prompt: %w", err)
	}
	return Prompt{Variant: variant, System: system, User: user}, nil
}

func execute(t *template.Template, data templateData) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}
