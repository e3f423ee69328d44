package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// result is what one scenario measured.
type result struct {
	name      string
	conns     int
	rate      float64 // 2xx responses (or imported items) per second
	p50, p99  time.Duration
	requests  uint64
	errors    uint64 // non-2xx responses and transport errors
	firstErr  string
	peakKiB   int           // the measured process's peak resident memory during the scenario
	sampled   bool          // peakKiB is the highest of VmRSS samples, not the high-water mark
	cacheHits float64       // share of the response cache's lookups that hit; negative when not measured
	elapsed   time.Duration // how long the requests were sent
	note      string
	goal      string    // the name of the row whose target this one has, when its name differs
	cpu       []float64 // cores used by the servers, PostgreSQL and the load generator; nil when not measured
	pgKiB     int       // PostgreSQL's peak memory (summed PSS of its processes, sampled)
}

// errorBodyBytes is how much of a response the load generator keeps: enough to quote an
// error's problem document, without copying every body it receives.
const errorBodyBytes = 512

// load sends requests on a fixed number of connections, each sending its next request as soon
// as the previous one is answered: vegeta's max-rate mode, no pacing and as many workers as
// connections. Its connections stay open from one run to the next, so that a measurement that
// follows a warm-up starts on connections that are already open.
type load struct {
	conns  int
	client *http.Client
}

func newLoad(conns int) *load {
	return &load{conns: conns, client: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
	}}
}

func (l *load) close() { l.client.CloseIdleConnections() }

// run sends the targets' requests for d and returns what it measured.
func (l *load) run(ctx context.Context, name string, d time.Duration, tr vegeta.Targeter) result {
	atk := vegeta.NewAttacker(
		vegeta.Client(l.client),
		vegeta.Workers(uint64(l.conns)),
		vegeta.MaxWorkers(uint64(l.conns)),
		vegeta.Connections(l.conns),
		vegeta.MaxConnections(l.conns),
		vegeta.MaxBody(errorBodyBytes),
		vegeta.Redirects(vegeta.NoFollow),
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	r := result{name: name, conns: l.conns, cacheHits: -1}
	var m vegeta.Metrics
	start := time.Now()
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, d, name) {
		m.Add(res)
		if res.Code >= 200 && res.Code < 300 && res.Error == "" {
			continue
		}
		r.errors++
		if r.firstErr == "" {
			r.firstErr = describe(res)
		}
	}
	elapsed := time.Since(start)
	m.Close()
	r.requests = m.Requests
	r.rate = float64(m.Requests-r.errors) / elapsed.Seconds()
	r.elapsed = elapsed
	r.p50, r.p99 = m.Latencies.P50, m.Latencies.P99
	if ctx.Err() != nil {
		r.errors++
		if r.firstErr == "" {
			r.firstErr = "interrupted"
		}
	}
	return r
}

func describe(res *vegeta.Result) string {
	s := fmt.Sprintf("%s %s: %s", res.Method, res.URL, res.Error)
	if res.Code != 0 && len(res.Body) > 0 {
		s += ": " + string(res.Body)
	}
	return s
}
