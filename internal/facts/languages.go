package facts

import (
	"cmp"
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
	// Primary is the programming language with the most bytes; in a
	// repository without one, the markup language with the most (a static
	// site is HTML); build glue (Dockerfile, Makefile) only when there is
	// nothing else; "" for none.
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
		_, base := splitPath(f.Path)
		lang, candidates := languageByName(base)
		if lang == "" && candidates == nil {
			continue
		}
		if lang != "" && !countedLanguage(lang) {
			continue
		}
		if excludedFromLanguages(f.Path) {
			continue
		}
		if lang == "" {
			lang = r.languageByContent(f, base, candidates)
		}
		if lang == "Go" && r.goGenerated(f.Path) {
			continue
		}
		fact.Bytes[lang] += f.Size
		fact.TotalBytes += f.Size
	}
	// Programming languages first; a repository of only markup (a static
	// site) is its markup; build glue only when nothing else is there.
	var best [3]string
	for lang, n := range fact.Bytes {
		rank := 0
		switch {
		case buildGlue[lang]:
			rank = 2
		case enry.GetLanguageType(lang) != enry.Programming:
			rank = 1
		}
		if p := best[rank]; p == "" || n > fact.Bytes[p] || (n == fact.Bytes[p] && lang < p) {
			best[rank] = lang
		}
	}
	fact.Primary = cmp.Or(best[0], best[1], best[2])
	return fact, "tree"
}

// countedLanguage reports whether linguist counts a language in a
// repository's statistics: programming and markup languages are, data
// (JSON, YAML) and prose (Markdown, text) are not.
func countedLanguage(lang string) bool {
	t := enry.GetLanguageType(lang)
	return t == enry.Programming || t == enry.Markup
}

// languageByName detects a file's language by its name, as linguist does
// before it looks at content: the exact file name (Dockerfile, Makefile),
// then the extension. It returns the language, or, when the extension is
// shared by several counted languages and preferredLanguage does not settle
// it, the candidates; neither when the name says nothing.
func languageByName(base string) (lang string, candidates []string) {
	if langs := data.LanguagesByFilename[base]; len(langs) == 1 {
		return langs[0], nil
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
		return "", nil
	case 1:
		return langs[0], nil
	}
	if l, ok := preferredLanguage[extension]; ok {
		return l, nil
	}
	counted, n := "", 0
	for _, l := range langs {
		if countedLanguage(l) {
			counted = l
			n++
		}
	}
	if n <= 1 {
		return counted, nil
	}
	return "", langs
}

// languageByContent settles a genuinely ambiguous extension (.h, .m, .v,
// .inc …) by letting enry look at the file's beginning, as linguist would.
// Files that cannot be read keep enry's default, the first candidate.
func (r *repo) languageByContent(f source.File, base string, candidates []string) string {
	if f.Size > source.MaxFileSize {
		return candidates[0]
	}
	b, err := r.tree.ReadFile(f.Path)
	if err != nil {
		return candidates[0]
	}
	if len(b) > 16<<10 {
		b = b[:16<<10]
	}
	if l := enry.GetLanguage(base, b); slices.Contains(candidates, l) {
		return l
	}
	return candidates[0]
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
