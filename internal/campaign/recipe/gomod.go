package recipe

import (
	"context"
	"fmt"
	"go/version"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// goVersionStep is the go-version builtin: it raises, never lowers, the go
// directive, the toolchain line and required module versions of every
// go.mod in the workspace.
type goVersionStep struct {
	goVer     string // "1.23" (no "go" prefix), or ""
	toolchain string // "go1.23.4", or ""
	require   map[string]string
}

func compileGoVersion(p *params) stepper {
	s := goVersionStep{}
	s.goVer = strings.TrimPrefix(strings.TrimSpace(p.version("go", false, "the minimum go directive, e.g. \"1.23\"")), "go")
	tc := strings.TrimSpace(p.version("toolchain", false, "the minimum toolchain, e.g. go1.23.4"))
	req := p.stringMap("require", "a module path mapped to its minimum version, e.g. golang.org/x/net: v0.30.0")
	if p.err != nil {
		return nil
	}
	if s.goVer != "" && !version.IsValid("go"+s.goVer) {
		p.fail("go", "%q is not a Go version such as 1.23 or 1.23.4", s.goVer)
		return nil
	}
	if tc != "" {
		if !strings.HasPrefix(tc, "go") {
			tc = "go" + tc
		}
		if !version.IsValid(tc) || tc == "go" {
			p.fail("toolchain", "%q is not a toolchain such as go1.23.4", tc)
			return nil
		}
		s.toolchain = tc
	}
	for mod, v := range req {
		if err := module.CheckPath(mod); err != nil {
			p.fail("require."+mod, "not a module path: %v", err)
			return nil
		}
		if !semver.IsValid(v) || semver.Canonical(v) != v && semver.Canonical(v)+"+incompatible" != v {
			p.fail("require."+mod, "%q is not a canonical semantic version such as v1.2.3", v)
			return nil
		}
	}
	s.require = req
	if s.goVer == "" && s.toolchain == "" && len(s.require) == 0 {
		p.fail("go", "required: at least one of go, toolchain or require")
		return nil
	}
	return s
}

func (s goVersionStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rep Report
	var log strings.Builder
	mods := 0
	err := walkFiles(ctx, env.WS, thirdParty, func(rel string, d fs.DirEntry) error {
		if path.Base(rel) != "go.mod" || !d.Type().IsRegular() {
			return nil
		}
		mods++
		src, err := env.WS.ReadFile(rel)
		if err != nil {
			return err
		}
		vendored := false
		if fi, err := env.WS.Lstat(path.Join(path.Dir(rel), "vendor", "modules.txt")); err == nil && fi.Mode().IsRegular() {
			vendored = true
		}
		out, notes, skips, err := s.rewrite(rel, src, vendored)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{File: rel, Reason: err.Error()})
			rep.Partial = true
			return nil
		}
		rep.Skipped = append(rep.Skipped, skips...)
		if len(skips) > 0 {
			rep.Partial = true
		}
		for _, n := range notes {
			fmt.Fprintf(&log, "%s: %s\n", rel, n)
		}
		return writeIfChanged(env.WS, &rep, rel, src, out)
	})
	if err != nil {
		return rep, err
	}
	rep.Log = fmt.Sprintf("go-version: %d go.mod file(s), %d changed\n", mods, len(rep.Changed)) + log.String()
	return rep, nil
}

// rewrite raises what needs raising in one go.mod and formats it with
// modfile, which keeps comments.
func (s goVersionStep) rewrite(rel string, src []byte, vendored bool) (out []byte, notes []string, skips []Skip, err error) {
	f, err := modfile.Parse(rel, src, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("go.mod does not parse: %s", firstLine(err.Error()))
	}
	changed := false
	cur := ""
	if f.Go != nil {
		cur = f.Go.Version
	}
	if s.goVer != "" && (cur == "" || version.Compare("go"+cur, "go"+s.goVer) < 0) {
		if err := f.AddGoStmt(s.goVer); err != nil {
			return nil, nil, nil, err
		}
		changed = true
		from := cur
		if from == "" {
			from = "none (go1.16 semantics)"
		}
		notes = append(notes, fmt.Sprintf("go %s → %s", from, s.goVer))
		if (cur == "" || version.Compare("go"+cur, "go1.22") < 0) && version.Compare("go"+s.goVer, "go1.22") >= 0 {
			notes = append(notes, "go 1.22 makes each for-loop iteration declare new loop variables; the repository's tests are the check")
		}
		if cur != "" && version.Compare("go"+cur, "go1.17") < 0 && version.Compare("go"+s.goVer, "go1.17") >= 0 && len(f.Require) > 0 {
			notes = append(notes, "from go 1.17 go.mod lists indirect requirements too; run `go mod tidy` (a run step) if the build says go.mod needs updates")
		}
		cur = s.goVer
	}
	if s.toolchain != "" {
		curTC := ""
		if f.Toolchain != nil {
			curTC = f.Toolchain.Name
		}
		switch {
		case cur != "" && version.Compare(s.toolchain, "go"+cur) < 0:
			notes = append(notes, fmt.Sprintf("toolchain %s is older than go %s: not set", s.toolchain, cur))
		case curTC == "" || version.Compare(curTC, s.toolchain) < 0:
			if err := f.AddToolchainStmt(s.toolchain); err != nil {
				return nil, nil, nil, err
			}
			changed = true
			notes = append(notes, fmt.Sprintf("toolchain %s → %s", orNone(curTC), s.toolchain))
		}
	}
	var mods []string
	for m := range s.require {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		want := s.require[m]
		for _, r := range f.Require {
			if r.Mod.Path != m || semver.Compare(r.Mod.Version, want) >= 0 {
				continue
			}
			line := 0
			if r.Syntax != nil {
				line = r.Syntax.Start.Line
			}
			if vendored {
				skips = append(skips, Skip{File: rel, Line: line, Reason: fmt.Sprintf("%s is vendored: raise %s to %s with a run step (go get, go mod vendor)", path.Dir(rel), m, want)})
				continue
			}
			from := r.Mod.Version
			if err := f.AddRequire(m, want); err != nil {
				return nil, nil, nil, err
			}
			changed = true
			notes = append(notes, fmt.Sprintf("require %s %s → %s (go.sum gains no entries: verification fails offline until `go mod download` or `go mod tidy` runs)", m, from, want))
		}
	}
	if !changed {
		return src, notes, skips, nil
	}
	f.Cleanup()
	out, err = f.Format()
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := modfile.Parse(rel, out, nil); err != nil {
		return nil, nil, nil, fmt.Errorf("the rewritten go.mod does not parse: %v", err)
	}
	return out, notes, skips, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
