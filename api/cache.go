package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// cachePolicy sets the HTTP caching of public responses (RFC 9111, RFC 5861).
type cachePolicy struct {
	maxAge, stale time.Duration
	now           func() time.Time
}

// serve answers a public GET with body: an ETag, Cache-Control and Surrogate-Key (for purging a
// CDN by key), or 304 when If-None-Match already names the ETag. next is when the answer will
// change by the clock alone (a scheduled publication or unpublication): caches may not keep it,
// stale or not, past that moment. The response cache, when the route has it, keeps what is
// served here.
func (p cachePolicy) serve(c echo.Context, body []byte, tag, keys string, next *time.Time) error {
	if fill, ok := c.Get(cacheFillKey).(*cachedResponse); ok && fill.body == nil {
		fill.body, fill.etag, fill.keys, fill.until = body, tag, keys, next
	}
	maxAge, stale := p.maxAge, p.stale
	if next != nil {
		until := max(0, next.Sub(p.now()))
		maxAge = min(maxAge, until)
		stale = min(stale, until-maxAge)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d",
		int(maxAge/time.Second), int(stale/time.Second)))
	h.Set(headerETag, tag)
	h.Set("Surrogate-Key", keys)
	if noneMatch(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	return writeJSON(c, http.StatusOK, body)
}

// noneMatch reports whether an If-None-Match header names tag (weak comparison, RFC 9110
// §13.1.2: W/ is ignored).
func noneMatch(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// bodyETag is a strong entity tag for a response body: a digest of its bytes.
func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// setNextLink sets the Link header to the next page: this request's URL with param set to
// value (RFC 8288).
func setNextLink(c echo.Context, param, value string) {
	u := *c.Request().URL
	q := u.Query()
	q.Set(param, value)
	u.RawQuery = q.Encode()
	c.Response().Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, u.Path, u.RawQuery))
}

// versionedJSON encodes a resource with its entity tag "v<version>.<digest of the body>": If-Match
// compares the version; the digest makes the tag change whenever the representation does.
func versionedJSON(v any, version int64) ([]byte, string, error) {
	body, err := marshalJSON(v)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return body, fmt.Sprintf(`"v%d.%s"`, version, hex.EncodeToString(sum[:6])), nil
}

// servePublic answers a public GET: cacheable for anonymous callers (see cachePolicy.serve),
// private for callers with credentials, with tag as ETag either way.
func (p cachePolicy) servePublic(c echo.Context, body []byte, tag, keys string) error {
	if principal(c) != nil {
		c.Response().Header().Set(headerETag, tag)
		return writeJSON(c, http.StatusOK, body)
	}
	return p.serve(c, body, tag, keys, nil)
}
