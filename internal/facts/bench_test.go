package facts

import (
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/facts/factstest"
)

// BenchmarkCollect measures Collect over typical 20-file services held in
// memory, so it counts parsing and classification, not I/O.
func BenchmarkCollect(b *testing.B) {
	for _, bc := range []struct {
		name string
		tree *factstest.Tree
	}{
		{"go-service", goService()},
		{"node-service", nodeService()},
		{"java-service", javaService()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			snap := bc.tree.Snapshot("svc")
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				Collect(snap, now)
			}
		})
	}
}

// BenchmarkCollector measures each collector alone over the Go service, to
// show where the time goes. Collectors that share a parse (go.mod for go
// and tests) each pay for it here; Collect pays once.
func BenchmarkCollector(b *testing.B) {
	snap := goService().Snapshot("svc")
	for _, c := range collectors {
		b.Run(c.namespace, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := newRepo(snap.Name, snap.Tree)
				c.collect(r)
			}
		})
	}
}
