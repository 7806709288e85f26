package isolate

import (
	"testing"
)

// BenchmarkRunInProcess is one run as a worker does it, without the pipe:
// a fresh runtime, the page parsed, a trivial script, the result. Its B/op
// is the memory one run allocates.
func BenchmarkRunInProcess(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		done := execute(&frame{Type: "run", Mode: modeScript, Source: `return page.title.length`, Input: []byte(`{"title": "Example"}`),
			Limits: &limits{WallMs: 2000, CPUMs: 2000, MemoryBytes: 64 << 20, OutputBytes: 1 << 20}}, nil, nil, nil)
		if done.Error != nil {
			b.Fatal(done.Error)
		}
	}
}
