package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStartup measures what an operator notices of the binary: its size, the time from
// exec to a ready /readyz on an existing database, and the memory it holds when idle. The
// baseline, measured in the same run, is `folio version`: the cost of starting the process at
// all, so that the ratio says what serving adds, whatever the machine's load.
//
//	make bench-micro   (or: go test -tags sqlite_fts5 -run '^$' -bench Startup -benchtime 20x .)
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "folio")
	// The flags of `make build`.
	build := exec.Command("go", "build", "-trimpath", "-tags", "sqlite_fts5", "-ldflags", "-X main.version=bench", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(dir, "folio.db")
	if out, err := exec.Command(bin, "migrate", "up", "--db", db).CombinedOutput(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}

	b.Run("baseline=version", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(bin, "version").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("serve-to-ready", func(b *testing.B) {
		var rssKiB int
		for i := 0; b.Loop(); i++ {
			cmd := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-format", "json")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			readyz := "http://" + awaitListening(b, stderr) + "/readyz"
			waitReady(b, readyz)
			b.StopTimer()
			if i == 1 {
				// Idle memory after some requests, once the runtime has settled. Not on the first
				// start, which creates the first admin: hashing its password takes 19 MiB that the
				// runtime returns to the system only slowly.
				for range 10 {
					waitReady(b, readyz)
				}
				time.Sleep(500 * time.Millisecond)
				rssKiB = residentKiB(b, cmd.Process.Pid)
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				b.Fatalf("exit after SIGTERM: %v", err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(rssKiB), "idle-rss-KiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "binary-MiB")
	})
}

// awaitListening reads the server's log until it says where it listens, then drains the rest.
func awaitListening(b *testing.B, stderr io.Reader) string {
	b.Helper()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if addr := listenAddr(sc.Text(), "api"); addr != "" {
			go io.Copy(io.Discard, stderr)
			return addr
		}
	}
	b.Fatal("the server exited before listening")
	return ""
}

func waitReady(b *testing.B, url string) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("%s not ready within 10s", url)
}

func residentKiB(b *testing.B, pid int) int {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	b.Fatal("no VmRSS in /proc status")
	return 0
}
