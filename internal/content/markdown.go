package content

import (
	"bytes"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns Markdown into sanitized HTML. Items are rendered when they are written, never
// when they are read, so a read costs no rendering and every reader sees the same HTML.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer returns a renderer for CommonMark with GitHub's extensions (tables,
// strikethrough, autolinks, task lists).
//
// goldmark already leaves raw HTML out and drops dangerous link schemes; the bluemonday policy
// runs after it anyway, as the second of two independent defences: user-generated-content
// elements only, no scripts, styles or event handlers, links and images to http(s), mailto or
// relative URLs only (so no javascript: or data:), and links to other sites opened in a new tab
// with rel="nofollow noreferrer noopener".
func NewRenderer() *Renderer {
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
	}
}

// Render returns the sanitized HTML of Markdown source.
func (r *Renderer) Render(source string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(source), &buf); err != nil {
		// goldmark fails only when writing to buf fails, which it cannot; render nothing rather
		// than something unsanitized.
		return ""
	}
	return r.policy.Sanitize(buf.String())
}
