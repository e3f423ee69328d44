package content

import (
	"bytes"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Errors of rendering; both are the writer's to fix or retry.
var (
	// ErrRenderTooSlow: the Markdown takes longer than the renderer's budget.
	ErrRenderTooSlow = errors.New("the body takes too long to render")
	// ErrRenderBusy: every rendering slot stayed busy for too long.
	ErrRenderBusy = errors.New("too many bodies are being rendered at once")
)

// maxQuoteDepth bounds block-quote nesting: goldmark's time grows with its square.
const maxQuoteDepth = 32

// Renderer turns Markdown into sanitized HTML. Items are rendered when they are written, never
// when they are read, so a read costs no rendering and every reader sees the same HTML.
//
// Some Markdown shapes take goldmark time that grows with the square of their length (a long
// run of unclosed links: 19 s for 256 KiB here). So rendering runs under a time budget, a few
// at a time: a pathological body costs the writer a 422 and at most one core for its duration,
// never the database's writer connection (no caller renders inside a transaction).
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	budget time.Duration
	slots  chan struct{}
}

// NewRenderer returns a renderer for CommonMark with GitHub's extensions (tables,
// strikethrough, autolinks, task lists), with a budget per body.
//
// goldmark already leaves raw HTML out and drops dangerous link schemes; the bluemonday policy
// runs after it anyway, as the second of two independent defences: user-generated-content
// elements only, no scripts, styles or event handlers, links and images to http(s), mailto or
// relative URLs only (so no javascript: or data:), and links to other sites opened in a new tab
// with rel="nofollow noreferrer noopener".
func NewRenderer(budget time.Duration) *Renderer {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	// Task lists render disabled checkboxes.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	return &Renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
		budget: budget,
		slots:  make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
}

// withSlots returns a renderer like r that renders up to n bodies at once: an import renders on
// every core, where the API leaves half of them to the requests it serves.
func (r *Renderer) withSlots(n int) *Renderer {
	return &Renderer{md: r.md, policy: r.policy, budget: r.budget, slots: make(chan struct{}, max(1, n))}
}

// Render returns the sanitized HTML of Markdown source, or ErrRenderTooSlow or ErrRenderBusy.
func (r *Renderer) Render(source string) (string, error) {
	if quoteDepth(source) > maxQuoteDepth {
		return "", ErrRenderTooSlow
	}
	wait := time.NewTimer(r.budget)
	defer wait.Stop()
	select {
	case r.slots <- struct{}{}:
	case <-wait.C:
		return "", ErrRenderBusy
	}
	done := make(chan string, 1)
	go func() {
		// The slot is held until goldmark returns, even past the budget: goldmark cannot be
		// stopped, and the slots bound how many cores runaway bodies can take.
		defer func() { <-r.slots }()
		done <- r.render(source)
	}()
	budget := time.NewTimer(r.budget)
	defer budget.Stop()
	select {
	case html := <-done:
		return html, nil
	case <-budget.C:
		return "", ErrRenderTooSlow
	}
}

func (r *Renderer) render(source string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(source), &buf); err != nil {
		// goldmark fails only when writing to buf fails, which it cannot; render nothing rather
		// than something unsanitized.
		return ""
	}
	return r.policy.Sanitize(buf.String())
}

// quoteDepth returns the deepest block-quote nesting that a line of source opens.
func quoteDepth(source string) int {
	deepest := 0
	for line := range strings.SplitSeq(source, "\n") {
		depth := 0
		for _, c := range line {
			if c == '>' {
				depth++
			} else if c != ' ' && c != '\t' {
				break
			}
		}
		deepest = max(deepest, depth)
	}
	return deepest
}
