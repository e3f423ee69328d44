package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyFile: the copy is the file, byte for byte, whether it ends on a chunk or within one.
func TestCopyFile(t *testing.T) {
	defer func(n int64) { copyChunk = n }(copyChunk)
	copyChunk = 1000
	dir := t.TempDir()
	for _, size := range []int{0, 999, 1000, 2500, 3000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		from, to := filepath.Join(dir, "from"), filepath.Join(dir, "to")
		if err := os.WriteFile(from, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(from, to); err != nil {
			t.Fatalf("copyFile of %d bytes: %v", size, err)
		}
		got, err := os.ReadFile(to)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("copy of %d bytes has %d bytes, or other ones", size, len(got))
		}
	}
}
