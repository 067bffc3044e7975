package source

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Head resolves the default branch of a repository and the commit at its
// tip by reading a few small files, so that deciding whether a repository
// changed since the last scan costs microseconds, not a repository open.
//
// The default branch is the one origin/HEAD names when the repository has a
// remote-tracking HEAD (a clone), else the branch HEAD points at (a bare
// mirror's HEAD names the default branch).
func Head(ref Ref) (branch, commit string, err error) {
	common := commonDir(ref.GitDir)
	if b, err := readSmallFile(filepath.Join(common, "refs", "remotes", "origin", "HEAD")); err == nil {
		if target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: refs/remotes/origin/"); ok {
			if c, err := resolveRef(common, "refs/heads/"+target); err == nil {
				return target, c, nil
			}
			if c, err := resolveRef(common, "refs/remotes/origin/"+target); err == nil {
				return target, c, nil
			}
		}
	}
	b, err := readSmallFile(filepath.Join(ref.GitDir, "HEAD"))
	if err != nil {
		return "", "", fmt.Errorf("reading HEAD: %w", err)
	}
	head := strings.TrimSpace(string(b))
	if target, ok := strings.CutPrefix(head, "ref: "); ok {
		c, err := resolveRef(common, target)
		if err != nil {
			return "", "", err
		}
		return strings.TrimPrefix(target, "refs/heads/"), c, nil
	}
	if isHash(head) {
		return "", head, nil // detached HEAD
	}
	return "", "", fmt.Errorf("HEAD is neither a symbolic ref nor a commit: %q", head)
}

func commonDir(gitdir string) string {
	// Only a linked worktree's git directory (…/.git/worktrees/NAME) has a
	// commondir file; skipping the lookup elsewhere saves a failed open per
	// repository, which matters when a rescan checks 10,000 heads.
	if filepath.Base(filepath.Dir(gitdir)) != "worktrees" {
		return gitdir
	}
	b, err := os.ReadFile(filepath.Join(gitdir, "commondir"))
	if err != nil {
		return gitdir
	}
	c := strings.TrimSpace(string(b))
	if !filepath.IsAbs(c) {
		c = filepath.Join(gitdir, c)
	}
	return c
}

// resolveRef follows a ref name to a commit through loose refs, then packed-refs.
func resolveRef(gitdir, name string) (string, error) {
	for range 5 { // symbolic refs may chain; git itself stops at 5
		b, err := readSmallFile(filepath.Join(gitdir, filepath.FromSlash(name)))
		if err == nil {
			v := strings.TrimSpace(string(b))
			if next, ok := strings.CutPrefix(v, "ref: "); ok {
				name = next
				continue
			}
			if isHash(v) {
				return v, nil
			}
			return "", fmt.Errorf("ref %s holds %q, not a commit", name, v)
		}
		c, err := packedRef(gitdir, name)
		if err != nil {
			return "", err
		}
		return c, nil
	}
	return "", fmt.Errorf("ref %s: too many levels of symbolic refs", name)
}

func packedRef(gitdir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(gitdir, "packed-refs"))
	if err != nil {
		return "", fmt.Errorf("ref %s not found (the branch has no commits?)", name)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 42 || line[0] == '#' || line[0] == '^' {
			continue
		}
		if line[41:] == name && isHash(line[:40]) {
			return line[:40], nil
		}
	}
	return "", fmt.Errorf("ref %s not found in refs or packed-refs", name)
}

func isHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
