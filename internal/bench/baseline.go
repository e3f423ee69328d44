package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// baselineCommand starts the baseline server instead of the benchmark.
const baselineCommand = "baseline"

// baselinePath is the baseline server's one route.
const baselinePath = "/baseline"

// serveBaseline is the least an Echo server can do for a GET: answer a pre-serialized 2 KB
// JSON body, about the size of one item. It listens on a free loopback port, writes
// "listening ADDR" on stdout, and serves until ctx is done.
func serveBaseline(ctx context.Context, stdout io.Writer) error {
	body, err := baselineBody()
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET(baselinePath, func(c echo.Context) error { return c.JSONBlob(http.StatusOK, body) })

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(stdout, "listening", ln.Addr())
	failed := make(chan error, 1)
	go func() { failed <- srv.Serve(ln) }()
	select {
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// baselineBody is a JSON object of 2048 bytes.
func baselineBody() ([]byte, error) {
	const size = 2048
	v := map[string]string{"id": "0190f7a2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", "title": "Baseline", "body": ""}
	empty, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	v["body"] = strings.Repeat("x", size-len(empty))
	return json.Marshal(v)
}

// startBaseline starts this program again as the baseline server and returns its base URL.
func startBaseline(ctx context.Context, logPath string) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	p, err := newProcess(ctx, logPath, self, baselineCommand)
	if err != nil {
		return nil, "", err
	}
	// A pipe of our own rather than StdoutPipe, which Wait may close while it is read.
	out, w, err := os.Pipe()
	if err != nil {
		p.cancel()
		return nil, "", err
	}
	defer w.Close()
	p.cmd.Stdout = w
	if err := p.start(); err != nil {
		out.Close()
		return nil, "", err
	}
	w.Close()
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		out.Close()
		return nil, "", errors.Join(fmt.Errorf("the baseline server did not start (log: %s)", logPath), err, p.stop())
	}
	go func() {
		_, _ = io.Copy(io.Discard, out)
		out.Close()
	}()
	return p, "http://" + addr, nil
}
