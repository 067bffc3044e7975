package scorecard

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/facts"
)

func benchStandards(tb testing.TB, n int) *Standards {
	tb.Helper()
	s, err := Synthetic(n)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// benchInputs returns n services with facts shaped like a generated
// fleet's: varied Dockerfiles, Go modules, CI and tests.
func benchInputs(tb testing.TB, n int) []*Input {
	tb.Helper()
	out := make([]*Input, n)
	for i := range out {
		fs := map[string]any{
			facts.NamespaceFiles:      facts.FilesFact{Count: 20 + i%30, HasReadme: i%10 != 0, HasCodeowners: i%7 != 0, HasDocs: i%3 == 0},
			facts.NamespaceTests:      facts.TestsFact{HasTests: i%5 != 0, Count: i % 9, Frameworks: []string{"go-testing"}, ByLanguage: map[string]int{"go": i % 9}},
			facts.NamespaceDescriptor: facts.DescriptorFact{Present: i%10 < 7, Valid: i%17 != 0, Files: []string{}, Errors: []string{}},
			facts.NamespaceCI:         facts.CIFact{Providers: []string{"github-actions"}, Golden: i%4 == 0, Uses: []string{"actions/checkout@v4"}},
		}
		if i%3 != 2 {
			fs[facts.NamespaceDockerfile] = facts.DockerfileFact{User: []string{"", "app", "root"}[i%3], Pinned: i%6 != 0, Healthcheck: i%2 == 0,
				BaseImages: []string{"golang:1.22"}, Stages: []facts.DockerStage{}, Others: []string{}, ExposedPorts: []string{}}
		}
		if i%4 < 2 {
			imports := []string{"context", "fmt", "net/http", "os", "strings", "time"}
			if i%8 == 0 {
				imports = append(imports, "io/ioutil")
			}
			fs[facts.NamespaceGo] = facts.GoFact{GoVersion: []string{"1.21", "1.22", "1.23.1"}[i%3], Imports: imports,
				Requires: map[string]string{"golang.org/x/mod": "v0.20.0"}, Indirect: []string{}, Replaces: map[string]string{}, Modules: []string{"go.mod"}}
		}
		if i%50 == 0 {
			fs["vulns"] = map[string]any{"critical": float64(i % 3)}
		}
		svc := Service{Ref: fmt.Sprintf("component:default/svc-%05d", i), Name: fmt.Sprintf("svc-%05d", i), Kind: "Component",
			Type: []string{"service", "library", "website"}[i%3], Lifecycle: "production", Owner: "group:default/team-1", Tier: i%4 - 1}
		out[i] = input(tb, svc, fs)
	}
	return out
}

func BenchmarkEvaluate100x10k(b *testing.B) {
	s := benchStandards(b, 100)
	ins := benchInputs(b, 10_000)
	now := time.Now()
	b.ResetTimer()
	for b.Loop() {
		s.EvaluateAll(ins, now)
	}
	b.ReportMetric(float64(100*10_000*b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluate100x10kEach evaluates every check for every service,
// remembering nothing: the expression engine's own speed, what a fleet
// with no two services alike would cost.
func BenchmarkEvaluate100x10kEach(b *testing.B) {
	s := benchStandards(b, 100)
	ins := benchInputs(b, 10_000)
	now := time.Now()
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		half := len(ins) / 2
		for _, part := range [][]*Input{ins[:half], ins[half:]} {
			wg.Go(func() {
				for _, in := range part {
					s.Evaluate(in, now)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(100*10_000*b.N)/b.Elapsed().Seconds(), "evals/s")
}
