package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
)

// goal is a scenario's target as the project states it. Targets are reported, never enforced:
// a shared machine's figures vary from run to run.
type goal struct {
	text string
	met  func(r result, ratio float64) bool
}

// serverMemoryLimit is the memory target: 150 MB through the whole run.
const serverMemoryLimit = 150_000_000

var goals = map[string]goal{
	nameBySlug: {"≥ 0.5 × baseline", func(_ result, ratio float64) bool { return ratio >= 0.5 }},
	nameHot:    {"≥ 0.5 × baseline", func(_ result, ratio float64) bool { return ratio >= 0.5 }},
	nameVaried: {"≥ 0.1 × baseline; p99 ≤ 20 ms at 16 connections (N = 1 000 000)", func(r result, ratio float64) bool {
		return ratio >= 0.1 && r.p99 <= 20*time.Millisecond
	}},
	nameSearch: {"p50 ≤ 10 ms, p99 ≤ 50 ms at 8 connections (N = 1 000 000)", func(r result, _ float64) bool {
		return r.p50 <= 10*time.Millisecond && r.p99 <= 50*time.Millisecond
	}},
	nameCreates: {"≥ 1 500 items/s", func(r result, _ float64) bool { return r.rate >= 1500 }},
	nameImport:  {"≥ 50 000 items/s", func(r result, _ float64) bool { return r.rate >= 50_000 }},
	nameMemory: {"server peak RSS ≤ 150 MB (143 MiB) through the whole run (N = 1 000 000)", func(r result, _ float64) bool {
		return r.peakKiB*1024 <= serverMemoryLimit
	}},
}

// Names of the rows.
const (
	nameBySlug  = "(a) item by slug"
	nameHot     = "(b) hot list page"
	nameVaried  = "(c) varied list pages"
	nameSearch  = "(d) search"
	nameCreates = "(e) creates, synchronous=FULL (items/s)"
	nameImport  = "(f) import (items/s)"
	nameMemory  = "memory: server, whole run"
)

// report is the results of a run and what they were measured on.
type report struct {
	title     string
	header    []string // "- key: value" lines
	baselines map[int]float64
	rows      []result
	notes     []string
	postgres  bool // adds the columns of PostgreSQL's CPU and memory
}

// write prints the report as Markdown.
func (rep *report) write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# " + cmp.Or(rep.title, "Folio benchmark") + "\n\n")
	for _, h := range rep.header {
		b.WriteString("- " + h + "\n")
	}
	b.WriteString("\n| scenario | conns | req/s | × baseline | p50 | p99 | errors | peak RSS (MiB) | cache hits | target | met |")
	if rep.postgres {
		b.WriteString(" CPU cores: folio / PostgreSQL / load | PostgreSQL PSS (MiB) |")
	}
	b.WriteString("\n|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
	if rep.postgres {
		b.WriteString("--:|--:|")
	}
	b.WriteString("\n")
	for _, r := range rep.rows {
		cells := []string{r.name, "—", "—", "—", "—", "—", "—", "—", "—", "—", "—"}
		if rep.postgres {
			cells = append(cells, "—", "—")
		}
		if r.conns > 0 {
			cells[1] = fmt.Sprint(r.conns)
		}
		if r.rate > 0 {
			cells[2] = fmt.Sprintf("%.0f", r.rate)
		}
		ratio := 0.0
		if base := rep.baselines[r.conns]; base > 0 && r.requests > 0 {
			ratio = r.rate / base
			cells[3] = fmt.Sprintf("%.2f", ratio)
			if ratio < 0.01 {
				cells[3] = fmt.Sprintf("%.2g", ratio) // two figures, not a row of zeros
			}
		}
		if r.requests > 0 {
			cells[4], cells[5] = ms(r.p50), ms(r.p99)
		}
		if r.requests > 0 || r.name == nameImport {
			cells[6] = fmt.Sprint(r.errors)
		}
		if r.peakKiB > 0 {
			cells[7] = fmt.Sprintf("%.1f", float64(r.peakKiB)/1024)
			if r.sampled {
				cells[7] += " (sampled)"
			}
		}
		if r.cacheHits >= 0 {
			cells[8] = fmt.Sprintf("%.0f %%", 100*r.cacheHits)
		}
		if g, ok := goals[cmp.Or(r.goal, r.name)]; ok {
			cells[9], cells[10] = g.text, "no"
			if g.met(r, ratio) {
				cells[10] = "yes"
			}
		}
		if rep.postgres && len(r.cpu) == 3 {
			cells[11] = fmt.Sprintf("%.2f / %.2f / %.2f", r.cpu[0], r.cpu[1], r.cpu[2])
		}
		if rep.postgres && r.pgKiB > 0 {
			cells[12] = fmt.Sprintf("%.1f", float64(r.pgKiB)/1024)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if len(rep.notes) > 0 {
		b.WriteString("\n")
		for _, n := range rep.notes {
			b.WriteString("- " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}
