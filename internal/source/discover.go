package source

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paved-dev/paved"
)

// Ref locates one repository on disk.
type Ref struct {
	Name   string // directory name without ".git"
	Path   string // absolute path of the working tree or bare repository
	GitDir string // the git directory (Path/.git, or Path itself when bare)
	Bare   bool
	Source string // the source directory it was found in
}

// Discover lists the git repositories directly inside root, sorted by name.
// A directory that is not a git repository is skipped and reported as a
// problem; it never stops the rest. Hidden directories are ignored.
func Discover(root string) ([]Ref, []paved.Problem, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, nil, err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, nil, paved.Errorf(paved.EINVALID, "cannot read source directory %s: %v", root, err)
	}
	var refs []Ref
	var problems []paved.Problem
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(abs, name)
		info, err := os.Stat(path) // follows a symlinked repository directory on purpose
		if err != nil || !info.IsDir() {
			continue
		}
		ref, err := Probe(path)
		if err != nil {
			problems = append(problems, paved.Problem{
				Repository: strings.TrimSuffix(name, ".git"),
				Location:   paved.Location{File: path},
				Code:       paved.ProblemUnreadable,
				Message:    fmt.Sprintf("skipped: %v", err),
			})
			continue
		}
		ref.Source = abs
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	return refs, problems, nil
}

// Probe reports whether path is a git working tree or bare repository.
func Probe(path string) (Ref, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".git")
	dotgit := filepath.Join(path, ".git")
	if info, err := os.Stat(dotgit); err == nil {
		gitdir := dotgit
		if !info.IsDir() {
			// A ".git" file ("gitdir: …") as written for submodules and
			// linked worktrees.
			b, err := os.ReadFile(dotgit)
			if err != nil {
				return Ref{}, err
			}
			target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
			if !ok {
				return Ref{}, fmt.Errorf("%s is not a gitdir pointer", dotgit)
			}
			gitdir = strings.TrimSpace(target)
			if !filepath.IsAbs(gitdir) {
				gitdir = filepath.Join(path, gitdir)
			}
		}
		// A .git directory is trusted here to save three stats per
		// repository on large fleets; a broken one fails when it is opened.
		return Ref{Name: name, Path: path, GitDir: gitdir}, nil
	}
	if isGitDir(path) {
		return Ref{Name: name, Path: path, GitDir: path, Bare: true}, nil
	}
	return Ref{}, fmt.Errorf("not a git repository (no .git directory, and not a bare repository)")
}

func isGitDir(dir string) bool {
	for _, p := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			// Linked worktrees keep objects and refs in the common dir.
			if p != "HEAD" {
				if _, err := os.Stat(filepath.Join(dir, "commondir")); err == nil {
					continue
				}
			}
			return false
		}
	}
	return true
}
