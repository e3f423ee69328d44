package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a child process whose output goes to a log file. It ends with the context it was
// made with, or with stop.
type process struct {
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	logPath string
	log     *os.File
	done    chan struct{} // closed once the process has exited
	err     error         // how it exited, once done is closed
}

// newProcess prepares name args; the caller may change cmd (its environment, its stdout)
// before start. When ctx is done the process gets SIGTERM, so that servers shut down as they
// do in production, and SIGKILL if it is still there 10s later.
func newProcess(ctx context.Context, logPath, name string, args ...string) (*process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stdout, cmd.Stderr = log, log
	return &process{cmd: cmd, cancel: cancel, logPath: logPath, log: log, done: make(chan struct{})}, nil
}

func (p *process) start() error {
	if err := p.cmd.Start(); err != nil {
		p.cancel()
		p.log.Close()
		return err
	}
	go func() {
		p.err = p.cmd.Wait()
		p.log.Close()
		close(p.done)
	}()
	return nil
}

// wait waits for the process to exit by itself.
func (p *process) wait() error {
	<-p.done
	p.cancel()
	return p.err
}

// stop ends the process and waits for it. It returns nil when the process exits with status 0,
// which exec reports as the context's error once the process was cancelled.
func (p *process) stop() error {
	p.cancel()
	<-p.done
	if p.cmd.ProcessState != nil && p.cmd.ProcessState.Success() {
		return nil
	}
	return p.err
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// exitReason says how a process that has ended ended.
func exitReason(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// repoRoot is the folder of the module's go.mod, where the binary is built from.
func repoRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the Folio module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// buildFolio builds the binary as `make build` does, with the build tag it needs.
func buildFolio(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "sqlite_fts5", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// freeAddr finds a loopback port nothing listens on. Folio logs where it listens only at info
// level, which the benchmark turns off, so it is given a port rather than asked for one.
func freeAddr(ctx context.Context) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitReady polls url until it answers 200, the process exits, or five minutes have passed
// (serve migrates the database before it listens, which takes minutes for a million items).
func waitReady(ctx context.Context, client *http.Client, p *process, url string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if done, err := p.exited(); done {
			return fmt.Errorf("exited before it was ready (%s)", exitReason(err))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready within five minutes", url)
}

// memory follows a process's peak resident memory scenario by scenario. Linux resets a
// process's high-water mark (VmHWM) when 5 is written to /proc/PID/clear_refs; where that is
// refused, the peak is sampled from VmRSS instead, which can miss short spikes.
type memory struct {
	pid      int
	sampled  error // why the high-water mark could not be reset; nil when it can
	overall  int   // KiB: the highest peak seen since the process started
	stopping func() int
}

// begin starts a measurement: what the process reached since the last one counts in overall.
func (m *memory) begin() {
	if hwm, err := procStatus(m.pid, "VmHWM"); err == nil {
		m.overall = max(m.overall, hwm)
	}
	if m.sampled == nil {
		m.sampled = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", m.pid), []byte("5"), 0)
	}
	if m.sampled != nil {
		m.stopping = sample(m.pid)
	}
}

// end returns the peak since begin, in KiB, and whether it was sampled.
func (m *memory) end() (int, bool) {
	if m.stopping != nil {
		peak := m.stopping()
		m.stopping = nil
		m.overall = max(m.overall, peak)
		return peak, true
	}
	peak, _ := procStatus(m.pid, "VmHWM")
	m.overall = max(m.overall, peak)
	return peak, false
}

// peak is the highest peak seen so far, the current high-water mark included.
func (m *memory) peak() int {
	if hwm, err := procStatus(m.pid, "VmHWM"); err == nil {
		m.overall = max(m.overall, hwm)
	}
	return m.overall
}

// sample reads VmRSS every 10ms until the returned function is called, which returns the
// highest value read.
func sample(pid int) func() int {
	return sampleMax(10*time.Millisecond, func() (int, error) { return procStatus(pid, "VmRSS") })
}

// sampleMax calls read every interval until the returned function is called, which returns the
// highest value read; a failed read counts for nothing.
func sampleMax(every time.Duration, read func() (int, error)) func() int {
	var (
		mu   sync.Mutex
		peak int
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, err := read(); err == nil {
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// procStatus reads a "kB" field of /proc/PID/status.
func procStatus(pid int, field string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
