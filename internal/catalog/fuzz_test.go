package catalog

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/paved-dev/paved"
)

func FuzzParseDescriptor(f *testing.F) {
	f.Add([]byte(validComponent))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: a}\nspec:\n  targets: [./a.yaml, ../b.yaml, /c, 'd/**/*.yaml']\n"))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\n  annotations: {paved.dev/leader: jane, paved.dev/tier: '9'}\nspec: {type: team, children: [a, b], parent: c}\n---\nkind: User\n"))
	f.Add([]byte("a: &x [*x]\n---\n- - - -\n...\n%YAML 1.2\n---\n{a: [b:c]}\n"))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a, namespace: Ns}\nspec: {type: t, lifecycle: l, owner: o, definition: {$text: x}}\n"))
	f.Add([]byte("<<: {a: 1}\n? [a]\n: b\n!!str 1: !!int '2'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "dir/catalog-info.yaml"
		res := ParseDescriptor("repo", file, data)
		// YAML's line breaks: "\r\n", "\r" and "\n".
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) + bytes.Count(data, []byte("\r")) -
			bytes.Count(data, []byte("\r\n")) + 1
		for _, e := range res.Entities {
			if !slices.Contains(kinds(), e.Kind) || !ValidName(e.Name) || !ValidNamespace(e.Namespace) {
				t.Fatalf("invalid identity: %+v", e)
			}
			if e.Ref != FormatRef(e.Kind, e.Namespace, e.Name) {
				t.Fatalf("ref %q does not match %s %s %s", e.Ref, e.Kind, e.Namespace, e.Name)
			}
			if r, err := ParseRef(e.Ref, "", ""); err != nil || r.String() != e.Ref {
				t.Fatalf("ref %q does not parse back: %v", e.Ref, err)
			}
			for _, ref := range []string{e.Owner, e.System} {
				if r, err := ParseRef(ref, "", ""); ref != "" && (err != nil || r.String() != ref) {
					t.Fatalf("owner or system %q is not a full ref: %v", ref, err)
				}
			}
			if e.Repository != "repo" || e.Location.File != file || e.Location.Line < 1 || e.Location.Line > lines {
				t.Fatalf("bad location: %+v", e.Location)
			}
			if e.Tier < paved.TierUnknown || e.Tier > MaxTier || e.Inferred {
				t.Fatalf("tier %d, inferred %v", e.Tier, e.Inferred)
			}
			// The store keeps entities as JSON.
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("entity does not encode: %v", err)
			}
		}
		for _, p := range res.Problems {
			if p.Code != paved.ProblemYAML && p.Code != paved.ProblemDescriptor && p.Code != paved.ProblemDuplicate {
				t.Fatalf("unexpected code %q", p.Code)
			}
			if p.Repository != "repo" || p.Location.File != file || p.Location.Line < 1 || p.Location.Line > lines || p.Location.Column < 1 || p.Message == "" {
				t.Fatalf("problem without a place or message (file has %d lines): %+v", lines, p)
			}
		}
		for _, tgt := range res.LocationTargets {
			if tgt == "" || tgt == file || path.IsAbs(tgt) || path.Clean(tgt) != tgt || tgt == ".." || strings.HasPrefix(tgt, "../") {
				t.Fatalf("unsafe target %q", tgt)
			}
		}
		// Whatever was parsed resolves without panicking.
		Resolve(res.Entities)
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"team-a", "user:jane", "group:ns/x", "ns/a:b", ":", "/", "a:/b", "Component:Default/X.y_z", "a:b:c/d/e"} {
		f.Add(s, "group", "")
		f.Add(s, "", "pay")
	}
	f.Fuzz(func(t *testing.T, s, defKind, defNS string) {
		r, err := ParseRef(s, defKind, defNS)
		if err != nil {
			if paved.ErrorCode(err) != paved.EINVALID || paved.ErrorMessage(err) == "" {
				t.Fatalf("error %v is not an EINVALID paved.Error", err)
			}
			return
		}
		if !ValidKind(r.Kind) || !ValidNamespace(strings.ToLower(r.Namespace)) || !ValidName(r.Name) {
			t.Fatalf("ParseRef(%q) = %+v, which has an invalid part", s, r)
		}
		full := r.String()
		if full != strings.ToLower(full) {
			t.Fatalf("key %q is not lower-case", full)
		}
		back, err := ParseRef(full, "", "")
		if err != nil || back.String() != full {
			t.Fatalf("key %q does not parse back: %+v, %v", full, back, err)
		}
		// A reference written in full ignores the defaults.
		if again, err := ParseRef(full, "x", "y"); err != nil || again.String() != full {
			t.Fatalf("defaults changed a full ref %q: %+v, %v", full, again, err)
		}
	})
}

func FuzzInfer(f *testing.F) {
	f.Add("payments", "* @acme/pay\n/docs/ @acme/docs\n")
	f.Add("My Repo!", "[Section]\n* jane@example.com @x # c\n*\n")
	f.Add("", "\\ \\\n")
	f.Fuzz(func(t *testing.T, repo, codeowners string) {
		e := Infer(InferInput{Repository: repo, CodeOwnersPath: "CODEOWNERS", CodeOwners: []byte(codeowners)})
		if !ValidName(e.Name) || e.Ref != FormatRef(paved.KindComponent, DefaultNamespace, e.Name) || !e.Inferred {
			t.Fatalf("invalid inferred entity %+v", e)
		}
		if e.Owner != "" {
			if r, err := ParseRef(e.Owner, "", ""); err != nil || r.String() != e.Owner {
				t.Fatalf("owner %q is not a full ref: %v", e.Owner, err)
			}
			if !strings.HasPrefix(e.FieldSources["owner"], "CODEOWNERS line ") {
				t.Fatalf("owner without a source: %v", e.FieldSources)
			}
		}
		_, problems := ParseCodeOwners(repo, "CODEOWNERS", []byte(codeowners))
		for _, p := range problems {
			if p.Code != paved.ProblemCodeOwners || p.Location.Line < 1 || p.Location.Column < 1 {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}
