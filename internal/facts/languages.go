package facts

import (
	"slices"
	"strings"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-enry/go-enry/v2/data"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/source"
)

// LanguagesFact is the "languages" namespace: bytes of source per language,
// counted as GitHub's linguist counts them: programming and markup languages
// only, leaving out vendored, generated and documentation files.
type LanguagesFact struct {
	Bytes map[string]int64 `json:"bytes"` // language → bytes, e.g. "Go" → 48213
	// Primary is the programming language with the most bytes, "" when the
	// tree has none. Build glue (Dockerfile, Makefile) is primary only in a
	// repository that has nothing else.
	Primary    string `json:"primary"`
	TotalBytes int64  `json:"total_bytes"`
}

// PrimaryLanguage returns the primary language recorded in facts, "" when
// unknown. It accepts the facts as Collect returns them and as they come back
// from storage (decoded JSON), so the catalog can infer an entity's language
// from either.
func PrimaryLanguage(f paved.Facts) string {
	fact, ok := f[NamespaceLanguages]
	if !ok {
		return ""
	}
	switch v := fact.Value.(type) {
	case LanguagesFact:
		return v.Primary
	case *LanguagesFact:
		if v != nil {
			return v.Primary
		}
	case map[string]any:
		s, _ := v["primary"].(string)
		return s
	}
	return ""
}

// preferredLanguage settles extensions that linguist maps to several
// counted languages, for the cases common in service repositories, without
// reading the file. Markdown and SQL are preferred even though they are not
// counted: a .md file is almost never GCC machine description.
var preferredLanguage = map[string]string{
	".md": "Markdown", ".sql": "SQL", ".cs": "C#", ".rs": "Rust", ".php": "PHP", ".pl": "Perl",
	".pm": "Perl", ".t": "Perl", ".html": "HTML", ".r": "R", ".m": "Objective-C", ".ex": "Elixir",
	".es": "JavaScript", ".sc": "Scala", ".ml": "OCaml", ".pp": "Puppet", ".sol": "Solidity",
	".tpl": "Go Template", ".cp": "C++", ".hh": "C++", ".cfg": "INI", ".txt": "Text",
	".spec": "RPM Spec", ".d": "D",
}

// buildGlue languages are primary only when nothing else is there.
var buildGlue = map[string]bool{"Dockerfile": true, "Makefile": true}

func collectLanguages(r *repo) (any, string) {
	fact := LanguagesFact{Bytes: map[string]int64{}}
	for _, f := range r.files {
		if f.Symlink {
			continue
		}
		lang := r.language(f)
		if lang == "" {
			continue
		}
		if t := enry.GetLanguageType(lang); t != enry.Programming && t != enry.Markup {
			continue
		}
		if excludedFromLanguages(f.Path) || (lang == "Go" && r.goGenerated(f.Path)) {
			continue
		}
		fact.Bytes[lang] += f.Size
		fact.TotalBytes += f.Size
	}
	var best, bestGlue string
	for lang, n := range fact.Bytes {
		pick := &best
		if buildGlue[lang] {
			pick = &bestGlue
		} else if enry.GetLanguageType(lang) != enry.Programming {
			continue
		}
		if *pick == "" || n > fact.Bytes[*pick] || (n == fact.Bytes[*pick] && lang < *pick) {
			*pick = lang
		}
	}
	fact.Primary = best
	if best == "" {
		fact.Primary = bestGlue
	}
	return fact, "tree"
}

// language detects f's language by its name, as linguist does before it
// looks at content: the exact file name (Dockerfile, Makefile), then the
// extension. Only when the extension is ambiguous between counted languages
// and not settled by preferredLanguage is the file read and given to enry's
// content strategies.
func (r *repo) language(f source.File) string {
	_, base := splitPath(f.Path)
	if langs := data.LanguagesByFilename[base]; len(langs) == 1 {
		return langs[0]
	}
	lower := base
	if hasUpper(base) {
		lower = strings.ToLower(base)
	}
	var langs []string
	var extension string
	for i := 0; i < len(lower); i++ {
		if lower[i] != '.' {
			continue
		}
		if l, ok := data.LanguagesByExtension[lower[i:]]; ok {
			langs, extension = l, lower[i:]
			break
		}
	}
	switch len(langs) {
	case 0:
		return ""
	case 1:
		return langs[0]
	}
	if l, ok := preferredLanguage[extension]; ok {
		return l
	}
	counted := ""
	n := 0
	for _, l := range langs {
		if t := enry.GetLanguageType(l); t == enry.Programming || t == enry.Markup {
			counted = l
			n++
		}
	}
	if n <= 1 {
		return counted
	}
	// Genuinely ambiguous (.h, .m, .v, .inc …): let enry look at the content,
	// as linguist would. Unreadable files keep enry's default, the first
	// candidate.
	if f.Size > source.MaxFileSize {
		return langs[0]
	}
	b, err := r.tree.ReadFile(f.Path)
	if err != nil {
		return langs[0]
	}
	if len(b) > 16<<10 {
		b = b[:16<<10]
	}
	if l := enry.GetLanguage(base, b); slices.Contains(langs, l) {
		return l
	}
	return langs[0]
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
