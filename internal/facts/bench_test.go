package facts

import (
	"testing"
	"time"
)

// BenchmarkCollect measures Collect over a typical 20-file Go service held in
// memory, so it counts parsing and classification, not I/O.
func BenchmarkCollect(b *testing.B) {
	snap := goService().Snapshot("orders")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		Collect(snap, now)
	}
}

// BenchmarkCollector measures each collector alone, to show where the time
// goes.
func BenchmarkCollector(b *testing.B) {
	snap := goService().Snapshot("orders")
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
