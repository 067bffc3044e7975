package recipe

import (
	"strings"
	"testing"
)

const sampleGoMod = `// The payments service.
module example.com/payments

go 1.21 // raised with the platform

require (
	github.com/google/uuid v1.3.0
	golang.org/x/net v0.20.0 // indirect
)

// Keep the fork until upstream merges the fix.
replace github.com/google/uuid => github.com/acme/uuid v1.3.1
`

func TestGoVersion(t *testing.T) {
	tests := []struct {
		name    string
		with    map[string]any
		in      string
		want    string // "" means unchanged
		log     string
		skip    string
		partial bool
	}{
		{
			name: "raise the go line, keep comments",
			with: map[string]any{"go": "1.23"},
			in:   sampleGoMod,
			want: strings.Replace(sampleGoMod, "go 1.21 //", "go 1.23 //", 1),
			log:  "go 1.21 → 1.23",
		},
		{
			name: "never lower the go line",
			with: map[string]any{"go": "1.20"},
			in:   sampleGoMod,
		},
		{
			name: "a patch release is higher",
			with: map[string]any{"go": "1.21.5"},
			in:   sampleGoMod,
			want: strings.Replace(sampleGoMod, "go 1.21 //", "go 1.21.5 //", 1),
		},
		{
			name: "crossing 1.22 is noted",
			with: map[string]any{"go": "1.22"},
			in:   "module m\n\ngo 1.21\n",
			want: "module m\n\ngo 1.22\n",
			log:  "for-loop iteration",
		},
		{
			name: "add a toolchain",
			with: map[string]any{"go": "1.22", "toolchain": "go1.23.4"},
			in:   "module m\n\ngo 1.21\n",
			want: "module m\n\ngo 1.22\n\ntoolchain go1.23.4\n",
		},
		{
			name: "never lower a toolchain",
			with: map[string]any{"toolchain": "1.22.1"},
			in:   "module m\n\ngo 1.21\n\ntoolchain go1.23.4\n",
		},
		{
			name: "a toolchain older than the go line is not set",
			with: map[string]any{"toolchain": "go1.20"},
			in:   "module m\n\ngo 1.21\n",
			log:  "older than go 1.21",
		},
		{
			name: "raise a requirement in place, keep // indirect",
			with: map[string]any{"require": map[string]any{"golang.org/x/net": "v0.30.0", "github.com/google/uuid": "v1.2.0", "example.com/absent": "v1.0.0"}},
			in:   sampleGoMod,
			want: strings.Replace(sampleGoMod, "golang.org/x/net v0.20.0 // indirect", "golang.org/x/net v0.30.0 // indirect", 1),
			log:  "go.sum",
		},
		{
			name:    "not a go.mod",
			with:    map[string]any{"go": "1.23"},
			in:      "module\n\ngo 1.21\nrequire (\n",
			skip:    "does not parse",
			partial: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"go.mod": tt.in})
			rep := applyTwice(t, ws, step("go-version", tt.with))
			got := readFile(t, dir, "go.mod")
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if !strings.Contains(rep.Log, tt.log) {
				t.Errorf("Log lacks %q:\n%s", tt.log, rep.Log)
			}
			if rep.Partial != tt.partial || (tt.skip == "") != (len(rep.Skipped) == 0) ||
				(tt.skip != "" && !strings.Contains(rep.Skipped[0].Reason, tt.skip)) {
				t.Errorf("Partial %v, Skipped %+v; want %q", rep.Partial, rep.Skipped, tt.skip)
			}
		})
	}
}

func TestGoVersionModules(t *testing.T) {
	mod := "module m\n\ngo 1.21\n\nrequire golang.org/x/net v0.20.0\n"
	ws, dir := workspace(t, map[string]string{
		"go.mod": mod, "tools/go.mod": mod, "vendor/example.com/x/go.mod": mod, "internal/testdata/go.mod": mod,
		"svc/go.mod": mod, "svc/vendor/modules.txt": "# golang.org/x/net v0.20.0\n",
	})
	rep := mustApply(t, ws, step("go-version", map[string]any{"go": "1.22", "require": map[string]any{"golang.org/x/net": "v0.30.0"}}))
	if want := []string{"go.mod", "svc/go.mod", "tools/go.mod"}; !equalStrings(rep.Changed, want) {
		t.Fatalf("Changed = %v, want %v", rep.Changed, want)
	}
	if got := readFile(t, dir, "tools/go.mod"); got != "module m\n\ngo 1.22\n\nrequire golang.org/x/net v0.30.0\n" {
		t.Errorf("tools/go.mod:\n%s", got)
	}
	// The vendored module gets the go line but not the requirement.
	if got := readFile(t, dir, "svc/go.mod"); got != "module m\n\ngo 1.22\n\nrequire golang.org/x/net v0.20.0\n" {
		t.Errorf("svc/go.mod:\n%s", got)
	}
	if !rep.Partial || len(rep.Skipped) != 1 || rep.Skipped[0].File != "svc/go.mod" || rep.Skipped[0].Line != 5 || !strings.Contains(rep.Skipped[0].Reason, "vendored") {
		t.Errorf("Skipped %+v", rep.Skipped)
	}
	if readFile(t, dir, "vendor/example.com/x/go.mod") != mod || readFile(t, dir, "internal/testdata/go.mod") != mod {
		t.Error("a vendored or testdata go.mod changed")
	}
}
