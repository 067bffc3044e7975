package recipe

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

var digestA = "sha256:" + strings.Repeat("a", 64)
var digestB = "sha256:" + strings.Repeat("b", 64)

func TestDockerfileBase(t *testing.T) {
	tests := []struct {
		name    string
		with    map[string]any
		in      string
		want    string // "" means unchanged
		skip    string
		partial bool
	}{
		{
			name: "multi-stage keeps AS, platform, comments and other stages",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "# syntax=docker/dockerfile:1\n# Build stage\nFROM --platform=$BUILDPLATFORM golang:1.19 AS build   \nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n\nFROM alpine:3.19\nCOPY --from=build /out/app /app\n",
			want: "# syntax=docker/dockerfile:1\n# Build stage\nFROM --platform=$BUILDPLATFORM golang:1.23 AS build   \nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n\nFROM alpine:3.19\nCOPY --from=build /out/app /app\n",
		},
		{
			name: "lower case, CRLF and tabs",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "from\tgolang:1.19\tas builder\r\nrun echo hi\r\nfrom scratch\r\ncopy --from=builder /a /a\r\n",
			want: "from\tgolang:1.23\tas builder\r\nrun echo hi\r\nfrom scratch\r\ncopy --from=builder /a /a\r\n",
		},
		{
			name: "a stage named like the image is a stage",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "FROM golang:1.19 AS golang\nRUN true\nFROM golang\nRUN true\n",
			want: "FROM golang:1.23 AS golang\nRUN true\nFROM golang\nRUN true\n",
		},
		{
			name: "continuation line",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "FROM \\\n  # a comment inside\n  golang:1.19 \\\n  AS build\nRUN true\n",
			want: "FROM \\\n  # a comment inside\n  golang:1.23 \\\n  AS build\nRUN true\n",
		},
		{
			name: "escape directive",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "# escape=`\nFROM `\n  golang:1.19\nRUN dir c:\\\n",
			want: "# escape=`\nFROM `\n  golang:1.23\nRUN dir c:\\\n",
		},
		{
			name: "heredoc text is not an instruction",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "# syntax=docker/dockerfile:1\nFROM alpine:3.19\nRUN <<EOF\nFROM golang:1.19\nEOF\n",
		},
		{
			name: "a tag drops the old digest",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "FROM golang:1.19@" + digestA + "\n",
			want: "FROM golang:1.23\n",
		},
		{
			name: "a digest keeps the tag",
			with: map[string]any{"match": "golang", "to": "@" + digestB},
			in:   "FROM golang:1.19@" + digestA + "\n",
			want: "FROM golang:1.19@" + digestB + "\n",
		},
		{
			name: "tag and digest",
			with: map[string]any{"match": "golang", "to": "1.23@" + digestB},
			in:   "FROM docker.io/library/golang:1.19\n",
			want: "FROM docker.io/library/golang:1.23@" + digestB + "\n",
		},
		{
			name: "keep_variant",
			with: map[string]any{"match": "golang", "to": "1.23", "keep_variant": true},
			in:   "FROM golang:1.19-alpine AS a\nFROM golang:1.19 AS b\nFROM golang AS c\n",
			want: "FROM golang:1.23-alpine AS a\nFROM golang:1.23 AS b\nFROM golang:1.23 AS c\n",
		},
		{
			name: "never a downgrade",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "FROM golang:1.24-bookworm\n",
			skip: "already newer",
		},
		{
			name: "glob over a registry path",
			with: map[string]any{"match": "registry.example.com/base/*", "to": "2.0"},
			in:   "FROM registry.example.com/base/go:1.0 AS a\nFROM registry.example.com:5000/base/go:1.0 AS b\nFROM registry.example.com/other/go:1.0\n",
			want: "FROM registry.example.com/base/go:2.0 AS a\nFROM registry.example.com:5000/base/go:1.0 AS b\nFROM registry.example.com/other/go:1.0\n",
		},
		{
			name: "a tag pattern and a regexp",
			with: map[string]any{"match": "/^(node|golang)$/", "to": "22"},
			in:   "FROM node:18-alpine\nFROM golang:1.19\nFROM nodejs:18\n",
			want: "FROM node:22\nFROM golang:22\nFROM nodejs:18\n",
		},
		{
			name: "match with a tag glob",
			with: map[string]any{"match": "python:3.7*", "to": "3.12-slim"},
			in:   "FROM python:3.7-slim\nFROM python:3.11-slim\n",
			want: "FROM python:3.12-slim\nFROM python:3.11-slim\n",
		},
		{
			name:    "an ARG with a default that matches",
			with:    map[string]any{"match": "golang", "to": "1.23"},
			in:      "ARG BASE=golang:1.19\nFROM ${BASE}\n",
			skip:    "takes the image from an ARG",
			partial: true,
		},
		{
			name:    "an ARG without default",
			with:    map[string]any{"match": "golang", "to": "1.23"},
			in:      "ARG GO_VERSION\nFROM golang:${GO_VERSION}\n",
			skip:    "without a default",
			partial: true,
		},
		{
			name: "an ARG naming another image is not ours",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "ARG NODE=18\nFROM node:${NODE}\n",
		},
		{
			name:    "not a Dockerfile",
			with:    map[string]any{"match": "golang", "to": "1.23"},
			in:      "FROM golang:1.19\nRUN <<EOF\n",
			skip:    "not a valid Dockerfile",
			partial: true,
		},
		{
			name: "nothing matches",
			with: map[string]any{"match": "golang", "to": "1.23"},
			in:   "FROM node:20\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"Dockerfile": tt.in})
			rep := applyTwice(t, ws, step("dockerfile-base", tt.with))
			got := readFile(t, dir, "Dockerfile")
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want {
				t.Errorf("got:\n%q\nwant:\n%q\n%s", got, want, rep.Log)
			}
			if rep.Partial != tt.partial {
				t.Errorf("Partial = %v (%+v)", rep.Partial, rep.Skipped)
			}
			ok := tt.skip == "" && len(rep.Skipped) == 0
			for _, s := range rep.Skipped {
				if tt.skip != "" && strings.Contains(s.Reason, tt.skip) && s.File == "Dockerfile" {
					ok = true
				}
			}
			if !ok {
				t.Errorf("Skipped = %+v, want %q", rep.Skipped, tt.skip)
			}
		})
	}
}

func TestDockerfileBaseFiles(t *testing.T) {
	from := "FROM golang:1.19\n"
	files := map[string]string{
		"Dockerfile": from, "build/ci.Dockerfile": from, "deploy/Dockerfile.dev": from, "Containerfile": from,
		"docker/dockerfile.go": "package docker\n", "vendor/x/Dockerfile": from, "docs/FROM.md": from,
	}
	ws, _ := workspace(t, files)
	rep := mustApply(t, ws, step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23"}))
	if want := []string{"Containerfile", "Dockerfile", "build/ci.Dockerfile", "deploy/Dockerfile.dev"}; !equalStrings(rep.Changed, want) {
		t.Fatalf("Changed = %v, want %v", rep.Changed, want)
	}
	ws, _ = workspace(t, files)
	rep = mustApply(t, ws, step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23", "files": "deploy/**"}))
	if !equalStrings(rep.Changed, []string{"deploy/Dockerfile.dev"}) {
		t.Fatalf("Changed = %v", rep.Changed)
	}
}

// FuzzDockerfileBase rewrites arbitrary Dockerfiles: it must never panic,
// and the output must differ from the input only inside FROM lines, with
// the same number of lines, and parse wherever the input parsed.
func FuzzDockerfileBase(f *testing.F) {
	for _, s := range []string{
		"FROM golang:1.19 AS build\nRUN go build\nFROM alpine\n",
		"from --platform=linux/amd64 golang:1.19@" + digestA + " as b\r\n",
		"ARG V=1.19\nFROM golang:${V}\nFROM golang:$V\n",
		"FROM \\\n golang:1.19\n",
		"# escape=`\nFROM `\n golang\n",
		"FROM golang:1.19 AS golang\nFROM golang\n",
		"RUN <<EOF\nFROM golang\nEOF\nFROM golang:1.2\n",
		"\xef\xbb\xbfFROM golang:1.19\n",
		"FROM gol\\\nang:1.19\n",
	} {
		f.Add(s)
	}
	s := compileDockerfileBase(&params{builtin: "dockerfile-base", with: map[string]any{"match": "golang", "to": "1.23", "keep_variant": true}}).(dockerfileBaseStep)
	f.Fuzz(func(t *testing.T, src string) {
		out, _ := s.rewrite([]byte(src))
		if bytes.Equal(out, []byte(src)) {
			return
		}
		in := strings.Split(src, "\n")
		got := strings.Split(string(out), "\n")
		if len(in) != len(got) {
			t.Fatalf("line count changed: %q → %q", src, out)
		}
		for i := range in {
			if in[i] != got[i] && !strings.Contains(strings.ToLower(in[i]), "golang") {
				t.Fatalf("line %d changed though it names no golang image: %q → %q", i+1, in[i], got[i])
			}
		}
		if _, err := parser.Parse(bytes.NewReader(out)); err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
	})
}
