package prompt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	tests := []struct {
		variant string
		year    int
		want    string
		wantErr bool
	}{
		{"auto", 2019, Baseline, false},
		{"auto", 2020, ContemporaryNotable, false},
		{"", 2023, ContemporaryNotable, false},
		{"", 1999, Baseline, false},
		{"baseline", 2023, Baseline, false},
		{"contemporary-notable", 1990, ContemporaryNotable, false},
		{"diversity-emphasis", 2000, "", true},
		{"List 20 books from January 2020", 2020, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			got, err := Choose(tt.variant, tt.year)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownVariant) {
					t.Fatalf("Choose(%q) error = %v, want ErrUnknownVariant", tt.variant, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Choose(%q, %d) = %q, %v; want %q", tt.variant, tt.year, got, err, tt.want)
			}
		})
	}
}

func TestBuildEmbeddedVariants(t *testing.T) {
	tests := []struct {
		variant     string
		req         Request
		wantVariant string
		wantText    []string
	}{
		{"auto", Request{Year: 2020, Month: 1, Books: 20}, ContemporaryNotable,
			[]string{"up to 20", "January 2020", "Hardcover, Paperback, eBook, Audiobook, Unknown", "publication_month: 1", `{"error"`}},
		{"auto", Request{Year: 1987, Month: 9, Books: 15}, Baseline,
			[]string{"up to 15", "September 1987", "publication_year: 1987", "significance", `{"error"`}},
		{"baseline", Request{Year: 2021, Month: 12, Books: 5}, Baseline,
			[]string{"up to 5", "December 2021", "title", "author", "publisher", "format"}},
	}
	for _, tt := range tests {
		t.Run(tt.wantVariant+"/"+tt.wantText[1], func(t *testing.T) {
			b, err := NewBuilder(tt.variant, "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := b.Build(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if p.Variant != tt.wantVariant {
				t.Errorf("variant = %q, want %q", p.Variant, tt.wantVariant)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(p.User, s) {
					t.Errorf("prompt lacks %q:\n%s", s, p.User)
				}
			}
			if strings.Contains(p.User, "exactly") {
				t.Errorf("prompt asks for an exact count; models then pad or refuse:\n%s", p.User)
			}
			if !strings.Contains(p.System, `{"error"`) {
				t.Errorf("system prompt does not offer the refusal answer: %s", p.System)
			}
		})
	}
}

func TestNewBuilderRejectsUnknownVariant(t *testing.T) {
	if _, err := NewBuilder("overlooked-significance", ""); !errors.Is(err, ErrUnknownVariant) {
		t.Fatalf("err = %v, want ErrUnknownVariant", err)
	}
}

func TestBuildRejectsInvalidRequest(t *testing.T) {
	b, err := NewBuilder("auto", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Request{{Year: 2020, Month: 13, Books: 20}, {Year: 1800, Month: 1, Books: 20}, {Year: 2020, Month: 1, Books: 0}} {
		if _, err := b.Build(r); err == nil {
			t.Errorf("Build(%+v) succeeded, want an error", r)
		}
	}
}

func TestPromptFileOverride(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.tmpl", "Name up to {{.Books}} cookbooks from {{.MonthName}} {{.Year}} as JSON.")
	b, err := NewBuilder("baseline", good)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Build(Request{Year: 2005, Month: 3, Books: 7})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Name up to 7 cookbooks from March 2005 as JSON."; p.User != want {
		t.Errorf("User = %q, want %q", p.User, want)
	}
	if p.Variant != Baseline {
		t.Errorf("Variant = %q, want baseline", p.Variant)
	}

	noMonth := write("nomonth.tmpl", "Name {{.Books}} books.")
	b, err = NewBuilder("auto", noMonth)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(Request{Year: 2005, Month: 3, Books: 7}); err == nil {
		t.Error("a prompt file that never names the month was accepted")
	}

	broken := write("broken.tmpl", "{{.Books")
	if _, err := NewBuilder("auto", broken); err == nil {
		t.Error("a prompt file that does not parse was accepted")
	}
	unknownField := write("field.tmpl", "{{.Nope}} January 2020 20")
	b, err = NewBuilder("auto", unknownField)
	if err == nil {
		_, err = b.Build(Request{Year: 2020, Month: 1, Books: 20})
	}
	if err == nil {
		t.Error("a prompt file using an unknown field was accepted")
	}
	if _, err := NewBuilder("auto", filepath.Join(dir, "missing.tmpl")); err == nil {
		t.Error("a missing prompt file was accepted")
	}
}
