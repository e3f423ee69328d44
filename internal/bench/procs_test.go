package main

import (
	"os"
	"testing"
)

// TestMemory reads this process's own peak memory both ways: through the high-water mark, and
// by sampling, the fallback where the mark cannot be reset.
func TestMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	m := &memory{pid: os.Getpid()}
	m.begin()
	ballast := make([]byte, 32<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	peak, sampled := m.end()
	if sampled != (m.sampled != nil) {
		t.Errorf("end() sampled = %v, but the reset failed with %v", sampled, m.sampled)
	}
	if peak < 32<<10 {
		t.Errorf("peak = %d KiB after touching 32 MiB, want more", peak)
	}
	if m.peak() < peak {
		t.Errorf("overall peak %d KiB < the scenario's %d KiB", m.peak(), peak)
	}

	stop := sample(os.Getpid())
	if got := stop(); got <= 0 {
		t.Errorf("sample() = %d KiB, want a resident size", got)
	}
	_ = ballast[len(ballast)-1]
}
