package facts

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/paved-dev/paved/internal/facts/factstest"
)

func TestDockerfile(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		check      func(t *testing.T, d DockerfileFact)
	}{
		{
			name:       "multi-stage with ARG substitution",
			dockerfile: goServiceDockerfile,
			check: func(t *testing.T, d DockerfileFact) {
				want := []DockerStage{
					{Index: 0, Name: "build", Base: "golang:1.23-alpine", Image: "golang", Tag: "1.23-alpine", Platform: "$BUILDPLATFORM", Line: 5},
					{Index: 1, Base: "gcr.io/distroless/static-debian12:nonroot", Image: "gcr.io/distroless/static-debian12", Tag: "nonroot", Line: 12},
				}
				if !reflect.DeepEqual(d.Stages, want) {
					t.Errorf("stages = %+v", d.Stages)
				}
				if !slices.Equal(d.BaseImages, []string{"gcr.io/distroless/static-debian12:nonroot", "golang:1.23-alpine"}) {
					t.Errorf("base images = %v", d.BaseImages)
				}
				if d.User != "65532:65532" || d.UserLine != 14 || !d.Healthcheck || d.HealthcheckLine != 16 {
					t.Errorf("user %q@%d healthcheck %v@%d", d.User, d.UserLine, d.Healthcheck, d.HealthcheckLine)
				}
				if d.LatestTag || !d.Pinned || !slices.Equal(d.ExposedPorts, []string{"8080"}) {
					t.Errorf("latest %v pinned %v ports %v", d.LatestTag, d.Pinned, d.ExposedPorts)
				}
			},
		},
		{
			name:       "untagged base is latest and unpinned",
			dockerfile: "FROM node\nCMD [\"node\"]\n",
			check: func(t *testing.T, d DockerfileFact) {
				if !d.LatestTag || d.Pinned || d.User != "" || d.Healthcheck {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name:       ":latest is latest even with a digest, which pins it",
			dockerfile: "FROM alpine:latest@sha256:abc\n",
			check: func(t *testing.T, d DockerfileFact) {
				if !d.LatestTag || !d.Pinned || d.Stages[0].Digest != "sha256:abc" || d.Stages[0].Tag != "latest" {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name:       "a digest alone pins and is not latest; a registry port is not a tag",
			dockerfile: "FROM registry.acme.io:5000/base/python@sha256:0123\nFROM registry.acme.io:5000/base/java:21\n",
			check: func(t *testing.T, d DockerfileFact) {
				s0, s1 := d.Stages[0], d.Stages[1]
				if s0.Image != "registry.acme.io:5000/base/python" || s0.Tag != "" || s0.Digest != "sha256:0123" ||
					s1.Image != "registry.acme.io:5000/base/java" || s1.Tag != "21" {
					t.Errorf("stages = %+v", d.Stages)
				}
				if d.LatestTag || !d.Pinned {
					t.Errorf("latest %v pinned %v", d.LatestTag, d.Pinned)
				}
			},
		},
		{
			name: "FROM an earlier stage and scratch are not images; USER and HEALTHCHECK are inherited",
			dockerfile: "FROM golang:1.23 AS Build\nUSER builder\nHEALTHCHECK CMD true\nEXPOSE 9000\n" +
				"FROM build AS test\nRUN go test ./...\n" +
				"FROM scratch AS empty\n" +
				"FROM test\n",
			check: func(t *testing.T, d DockerfileFact) {
				if !slices.Equal(d.BaseImages, []string{"golang:1.23"}) || d.LatestTag || !d.Pinned {
					t.Errorf("base images %v latest %v pinned %v", d.BaseImages, d.LatestTag, d.Pinned)
				}
				if !d.Stages[1].FromStage || !d.Stages[2].Scratch || !d.Stages[3].FromStage || d.Stages[0].Name != "build" {
					t.Errorf("stages = %+v", d.Stages)
				}
				if d.User != "builder" || d.UserLine != 2 || !d.Healthcheck || d.FinalBaseImage != "golang:1.23" ||
					!slices.Equal(d.ExposedPorts, []string{"9000"}) {
					t.Errorf("user %q@%d healthcheck %v final %q ports %v", d.User, d.UserLine, d.Healthcheck, d.FinalBaseImage, d.ExposedPorts)
				}
			},
		},
		{
			name:       "HEALTHCHECK NONE turns an inherited check off; the last USER wins",
			dockerfile: "FROM a:1 AS base\nHEALTHCHECK CMD x\nFROM base\nUSER root\nUSER app\nHEALTHCHECK NONE\n",
			check: func(t *testing.T, d DockerfileFact) {
				if d.Healthcheck || d.HealthcheckLine != 0 || d.User != "app" || d.UserLine != 5 {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name:       "an ARG without a default leaves the image unresolved and unpinned",
			dockerfile: "ARG BASE\nARG TAG=1.2\nFROM ${BASE}:${TAG}\nFROM $BASE\n",
			check: func(t *testing.T, d DockerfileFact) {
				if !d.Stages[0].Unresolved || d.Stages[0].Base != "${BASE}:${TAG}" || !d.Stages[1].Unresolved ||
					d.Stages[1].Base != "$BASE" || d.Pinned || d.LatestTag {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name:       "ARG forms BuildKit's lexer handles: quotes, defaults, references to earlier ARGs",
			dockerfile: "ARG REG=\"ghcr.io/acme\"\nARG IMG=${REG}/base\nFROM ${IMG}:${VERSION:-3.1}\n",
			check: func(t *testing.T, d DockerfileFact) {
				if d.Stages[0].Base != "ghcr.io/acme/base:3.1" || d.Stages[0].Tag != "3.1" {
					t.Errorf("stages = %+v", d.Stages)
				}
			},
		},
		{
			name:       "escape directive, continuations, comments inside them, lower-case instructions",
			dockerfile: "# escape=`\nfrom `\n  # a comment\n  mcr.microsoft.com/windows/servercore:ltsc2022 `\n  as win\nuser ContainerUser\n",
			check: func(t *testing.T, d DockerfileFact) {
				if d.Stages[0].Base != "mcr.microsoft.com/windows/servercore:ltsc2022" || d.Stages[0].Name != "win" ||
					d.Stages[0].Line != 2 || d.User != "ContainerUser" || d.UserLine != 6 {
					t.Errorf("%+v", d)
				}
			},
		},
		{
			name:       "heredocs are parsed by BuildKit",
			dockerfile: "FROM alpine:3.20\nRUN <<EOF\nUSER nobody\nEOF\nUSER app\n",
			check: func(t *testing.T, d DockerfileFact) {
				if d.User != "app" || d.UserLine != 5 {
					t.Errorf("user %q@%d", d.User, d.UserLine)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(map[string]string{"Dockerfile": tt.dockerfile}))
			noProblems(t, problems)
			d := value[DockerfileFact](t, f, NamespaceDockerfile)
			if d.Path != "Dockerfile" || f[NamespaceDockerfile].Source != "Dockerfile" {
				t.Errorf("path %q source %q", d.Path, f[NamespaceDockerfile].Source)
			}
			tt.check(t, d)
		})
	}
}

func TestDockerfileMalformed(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		line       int
		present    bool // the namespace survives a problem in one line
	}{
		{"unterminated heredoc", "FROM alpine\nRUN <<EOF\necho\n", 2, false},
		{"no instructions", "# just a comment\n\n", 0, false},
		{"no FROM", "RUN echo\n", 1, false},
		{"instruction before FROM", "ENV A=1\nRUN x\nFROM alpine:3\n", 1, true},
		{"FROM without an image", "FROM\nFROM alpine:3\n", 1, true},
		{"FROM with a stray word", "FROM alpine:3 AS\n", 1, true},
		// BuildKit numbers directive errors from 0.
		{"invalid escape directive", "# escape=x\nFROM alpine\n", 0, false},
		{"repeated directive", "# syntax=a\n# syntax=b\nFROM alpine\n", 0, false},
		{"exec form with a number", "FROM alpine:3\nCMD [\"sleep\", 1]\n", 2, false},
		{"ENV without a value", "FROM alpine:3\nENV A\n", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(map[string]string{"Dockerfile": tt.dockerfile}))
			p := hasProblem(t, problems, ProblemInvalidFile, "Dockerfile", tt.line)
			if p.Message == "" {
				t.Error("empty message")
			}
			if _, ok := f[NamespaceDockerfile]; ok != tt.present {
				t.Errorf("namespace present = %v, want %v", ok, tt.present)
			}
			if _, ok := f[NamespaceFiles]; !ok {
				t.Error("files namespace lost")
			}
		})
	}
}

func TestDockerfileLocations(t *testing.T) {
	tests := []struct {
		files  []string
		path   string
		others []string
	}{
		{[]string{"Dockerfile", "build/Dockerfile.dev", "tools/ci.Dockerfile", "examples/Dockerfile", "vendor/x/Dockerfile"},
			"Dockerfile", []string{"build/Dockerfile.dev", "tools/ci.Dockerfile"}},
		{[]string{"Containerfile", "deploy/Dockerfile"}, "Containerfile", []string{"deploy/Dockerfile"}},
		{[]string{"services/b/Dockerfile", "services/a/Dockerfile", "x/y/z/Dockerfile"},
			"services/a/Dockerfile", []string{"services/b/Dockerfile", "x/y/z/Dockerfile"}},
		{[]string{"docs/Dockerfile"}, "", nil},
		{[]string{"dockerfile.go", "internal/dockerfile_test.go", "build/app.dockerfile"}, "build/app.dockerfile", []string{}},
	}
	for _, tt := range tests {
		files := map[string]string{}
		for _, p := range tt.files {
			files[p] = "FROM alpine:3.20\n"
		}
		f, problems := collect(t, factstest.New(files))
		for _, p := range problems {
			if !strings.HasSuffix(p.Location.File, ".go") { // the .go files are not Go here
				t.Errorf("unexpected problem %+v", p)
			}
		}
		fact, ok := f[NamespaceDockerfile]
		if tt.path == "" {
			if ok {
				t.Errorf("%v: namespace present", tt.files)
			}
			continue
		}
		d := fact.Value.(DockerfileFact)
		if d.Path != tt.path || !slices.Equal(d.Others, tt.others) || fact.Source != tt.path {
			t.Errorf("%v: path %q others %v", tt.files, d.Path, d.Others)
		}
	}
}

// dockerfileCorpus exercises the rules the fast path must share with
// BuildKit; it seeds FuzzDockerfile.
var dockerfileCorpus = []string{
	goServiceDockerfile,
	"FROM alpine\n",
	"\xef\xbb\xbfFROM alpine\r\nRUN echo \\\r\n  hi\r\n",
	"# syntax=docker/dockerfile:1.7\n# check=skip=all\n# escape=\\\nFROM a AS b\n",
	"#escape=`\nFROM a\nRUN dir `\n  c:\\\nUSER x\n",
	"# directive=nope\n# escape=`\nFROM a\nRUN x `\n",
	"FROM a\nRUN a \\\n\n  b \\\n# comment\n  c\nEXPOSE 80/tcp   443\n",
	"FROM --platform=linux/amd64 --foo=bar img:1 as Name\n",
	"FROM -- img\nFROM --platform=\"x\" img\n",
	"ARG A=1 B C=\"x y\"\nARG D=$A\nFROM img:${A}\n",
	"FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD [\"curl\", \"-f\", \"http://x\"]\nHEALTHCHECK NONE\nHEALTHCHECK\n",
	"FROM a\nUSER  app:app  \nUSER\nEXPOSE\n",
	"FROM a\nRUN <<EOT bash\nset -e\nEOT\n",
	"FROM a\nCOPY <<-EOF /x\n\tcontent\n\tEOF\n",
	"FROM a\nONBUILD RUN echo\nONBUILD\n",
	"FROM a\nCMD [\"a\", 1]\n",
	"FROM a\nENV A B\nENV C=1 D=2\nLABEL x\n",
	"FROM a\nRUN foo \\\\\nUSER b\n",
	"FROM a\nRUN \\\n\\\n\\\n",
	"\n\n   \n\tFROM\ta\t\tAS\tb\n",
	"FROM a\nunknown instruction here\nFROM b\n",
	"FROM a \\",
	"FROM a\nRUN [\"sh\", \"-c\", \"a << b\"]\n",
	"FROM a\nSHELL [\"powershell\"]\nVOLUME [\"/data\"]\nENTRYPOINT [ \"x\" ,\"y\" ]\n",
}

// TestScanDockerfileMatchesBuildKit holds the fast path to BuildKit's parser:
// where the fast path accepts a file, it must read the same instructions.
func TestScanDockerfileMatchesBuildKit(t *testing.T) {
	fast := 0
	for _, c := range dockerfileCorpus {
		if checkDockerfileScan(t, []byte(c)) {
			fast++
		}
	}
	if fast < len(dockerfileCorpus)/2 {
		t.Errorf("the fast path took only %d of %d files", fast, len(dockerfileCorpus))
	}
}

func FuzzDockerfile(f *testing.F) {
	for _, c := range dockerfileCorpus {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, c []byte) {
		checkDockerfileScan(t, c)
		checkDockerSubst(t, string(c))
	})
}

func checkDockerfileScan(t *testing.T, c []byte) (fast bool) {
	t.Helper()
	got, gotEsc, ok := scanDockerfile(c)
	if !ok {
		return false
	}
	want, wantEsc, err := buildkitInstructions(c)
	if err != nil {
		t.Fatalf("fast path accepted %q, BuildKit: %v", c, err)
	}
	if gotEsc != wantEsc || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nfast     %+v %q\nBuildKit %+v %q", c, got, gotEsc, want, wantEsc)
	}
	return true
}

// checkDockerSubst holds the plain ARG substitution to BuildKit's lexer.
func checkDockerSubst(t *testing.T, word string) {
	t.Helper()
	d := dockerSubst{escape: '\\', args: dockerArgs{"A": {"alpine", true}, "B_2": {"", true}, "UNSET": {}}}
	got, gotResolved, ok := d.expandSimple(word)
	if !ok {
		return
	}
	res, err := shell.NewLex('\\').ProcessWordWithMatches(word, d.args)
	if err != nil {
		t.Fatalf("expandSimple accepted %q, lexer: %v", word, err)
	}
	if got != res.Result || gotResolved != (len(res.Unmatched) == 0) {
		t.Fatalf("%q: got %q %v, lexer %q unmatched %v", word, got, gotResolved, res.Result, res.Unmatched)
	}
}

func TestDockerSubstMatchesLexer(t *testing.T) {
	for _, w := range []string{"plain", "$A", "${A}", "x${A}y$A", "${B_2}:1", "$UNSET", "${MISSING}-x", "$", "a$",
		"${A:-b}", "$1", "${A", "'$A'", "\\$A", "$A$A", "${A}}", "$_", "$AΗ"} {
		checkDockerSubst(t, w)
	}
}
