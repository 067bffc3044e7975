package facts

import (
	"strings"

	"github.com/paved-dev/paved/internal/source"
)

// FilesFact is the "files" namespace: which conventional files the
// repository has, by path ("" when absent) and as a boolean for checks, and
// which entries the scanner did not read.
type FilesFact struct {
	Count      int   `json:"count"`       // entries in the tree, symlinks included
	TotalBytes int64 `json:"total_bytes"` // sum of the entries' sizes

	Readme         string `json:"readme"` // README in any case, with any extension
	HasReadme      bool   `json:"has_readme"`
	Codeowners     string `json:"codeowners"` // .github/, root, docs/ or .gitlab/, in GitHub's order
	HasCodeowners  bool   `json:"has_codeowners"`
	Dockerfile     string `json:"dockerfile"` // the root Dockerfile (or Containerfile)
	HasDockerfile  bool   `json:"has_dockerfile"`
	Docs           string `json:"docs"` // "docs" or "doc" when that directory has files
	HasDocs        bool   `json:"has_docs"`
	License        string `json:"license"` // LICENSE, LICENCE or COPYING, any case and extension
	HasLicense     bool   `json:"has_license"`
	CatalogInfo    string `json:"catalog_info"` // catalog-info.yaml or .yml at the root
	HasCatalogInfo bool   `json:"has_catalog_info"`
	Gitignore      string `json:"gitignore"`
	HasGitignore   bool   `json:"has_gitignore"`
	Makefile       string `json:"makefile"` // Makefile, makefile or GNUmakefile
	HasMakefile    bool   `json:"has_makefile"`

	// Skipped lists entries the scanner never reads: files over
	// source.MaxFileSize and symbolic links, at most MaxSkippedListed of
	// them; SkippedCount counts them all.
	Skipped      []SkippedFile `json:"skipped"`
	SkippedCount int           `json:"skipped_count"`
}

// SkippedFile is a tree entry that was listed but not read.
type SkippedFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"` // SkipTooLarge or SkipSymlink
}

// Reasons a file was skipped.
const (
	SkipTooLarge = "too-large"
	SkipSymlink  = "symlink"
)

// MaxSkippedListed bounds the skipped list, so that a repository full of
// binaries does not bloat its facts document.
const MaxSkippedListed = 100

func collectFiles(r *repo) (any, string) {
	fact := FilesFact{Skipped: []SkippedFile{}}
	for _, f := range r.files {
		fact.Count++
		fact.TotalBytes += f.Size
		if f.Symlink || f.Size > source.MaxFileSize {
			fact.SkippedCount++
			if len(fact.Skipped) < MaxSkippedListed {
				reason := SkipTooLarge
				if f.Symlink {
					reason = SkipSymlink
				}
				fact.Skipped = append(fact.Skipped, SkippedFile{Path: f.Path, Size: f.Size, Reason: reason})
			}
		}
		dir, base := splitPath(f.Path)
		if dir != "" {
			continue
		}
		stem, _, _ := strings.Cut(base, ".")
		switch {
		case fact.Readme == "" && strings.EqualFold(stem, "readme") && !strings.HasPrefix(base, "."):
			fact.Readme = base
		case fact.License == "" && (strings.EqualFold(stem, "license") || strings.EqualFold(stem, "licence") || strings.EqualFold(stem, "copying")):
			fact.License = base
		}
		switch base {
		case "Makefile", "makefile", "GNUmakefile":
			if fact.Makefile == "" {
				fact.Makefile = base
			}
		}
	}
	// README and LICENSE may also live where GitHub looks for them.
	if fact.Readme == "" {
		fact.Readme = firstNamed(r, ".github", "readme")
	}
	if fact.Readme == "" {
		fact.Readme = firstNamed(r, "docs", "readme")
	}
	fact.Codeowners = r.first(".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
	fact.Dockerfile = r.first("Dockerfile", "Containerfile")
	if len(r.under("docs")) > 0 {
		fact.Docs = "docs"
	} else if len(r.under("doc")) > 0 {
		fact.Docs = "doc"
	}
	fact.CatalogInfo = r.first("catalog-info.yaml", "catalog-info.yml")
	fact.Gitignore = r.first(".gitignore")

	fact.HasReadme = fact.Readme != ""
	fact.HasCodeowners = fact.Codeowners != ""
	fact.HasDockerfile = fact.Dockerfile != ""
	fact.HasDocs = fact.Docs != ""
	fact.HasLicense = fact.License != ""
	fact.HasCatalogInfo = fact.CatalogInfo != ""
	fact.HasGitignore = fact.Gitignore != ""
	fact.HasMakefile = fact.Makefile != ""
	return fact, "tree"
}

// firstNamed returns the first file directly in dir whose name, before any
// extension, is stem in any case.
func firstNamed(r *repo, dir, stem string) string {
	for _, f := range r.under(dir) {
		d, base := splitPath(f.Path)
		if d != dir {
			continue
		}
		s, _, _ := strings.Cut(base, ".")
		if strings.EqualFold(s, stem) {
			return f.Path
		}
	}
	return ""
}
