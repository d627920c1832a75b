// Package llm asks large language models (Gemini through google.golang.org/genai, xAI Grok through
// the OpenAI-compatible github.com/openai/openai-go/v3) for the notable books of one month, as
// structured JSON, and turns their answers into books — tolerating the shapes models really send
// and telling a deliberate refusal apart from a failure.
package llm

// Format is the edition format a model reports; anything else becomes FormatUnknown.
type Format string

const (
	FormatHardcover Format = "Hardcover"
	FormatPaperback Format = "Paperback"
	FormatEBook     Format = "eBook"
	FormatAudiobook Format = "Audiobook"
	FormatUnknown   Format = "Unknown"
)

var formats = []Format{FormatHardcover, FormatPaperback, FormatEBook, FormatAudiobook, FormatUnknown}

// Book is one book as a model proposed it.
type Book struct {
	Title            string `json:"title"`
	Author           string `json:"author"`
	Publisher        string `json:"publisher,omitempty"`
	Format           Format `json:"format"`
	PublicationYear  int    `json:"publication_year,omitempty"`
	PublicationMonth int    `json:"publication_month,omitempty"`
	Significance     string `json:"significance,omitempty"`
}

// Field limits keep one runaway answer from bloating the database.
const (
	maxTitleLen        = 500
	maxAuthorLen       = 300
	maxPublisherLen    = 200
	maxSignificanceLen = 500
)

// ResponseSchema is the JSON schema both providers are given for structured output: an object
// with the list of books, and an optional error that is the model's way to refuse instead of
// inventing books. It names every field a Book has.
func ResponseSchema() map[string]any {
	formatNames := make([]any, len(formats))
	for i, f := range formats {
		formatNames[i] = string(f)
	}
	book := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"title":             map[string]any{"type": "string", "description": "exact title"},
			"author":            map[string]any{"type": "string", "description": "author's full name"},
			"publisher":         map[string]any{"type": "string", "description": "original publisher, empty when unsure"},
			"format":            map[string]any{"type": "string", "enum": formatNames},
			"publication_year":  map[string]any{"type": "integer"},
			"publication_month": map[string]any{"type": "integer", "minimum": 1, "maximum": 12},
			"significance":      map[string]any{"type": "string", "description": "one line on why the book matters"},
		},
		"required":             []any{"title", "author", "publisher", "format", "publication_year", "publication_month", "significance"},
		"additionalProperties": false,
	}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"books": map[string]any{"type": "array", "items": book},
			"error": map[string]any{"type": "string", "description": "why no book can be named with confidence"},
		},
		"required":             []any{"books"},
		"additionalProperties": false,
	}
}
