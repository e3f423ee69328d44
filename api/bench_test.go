package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkAuthenticatedRequest measures what authentication adds to a request, over real HTTP
// on loopback: the same handler behind no middleware (the baseline) and behind authenticate,
// which verifies the JWT and reads the session and user in one indexed query.
//
//	go test -tags sqlite_fts5 -run '^$' -bench AuthenticatedRequest -benchtime 3000x ./api
func BenchmarkAuthenticatedRequest(b *testing.B) {
	s := newTestServer(b)
	tok := s.login(b, adminEmail, adminPassword).AccessToken
	handler := func(c echo.Context) error { return c.JSON(http.StatusOK, Status{Status: "ok"}) }
	s.GET("/bench/anonymous", handler)
	s.GET("/bench/signed-in", handler, authenticate(s.accounts))
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := srv.Client()

	for _, c := range []struct{ name, path, token string }{
		{"baseline=anonymous", "/bench/anonymous", ""},
		{"bearer", "/bench/signed-in", tok},
	} {
		b.Run(c.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
