package api

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin password 123"
)

// body encodes v as a JSON request body.
func body(t testing.TB, v any) *strings.Reader {
	t.Helper()
	if s, ok := v.(string); ok {
		return strings.NewReader(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// send makes a JSON request, with a bearer token when token is not "".
func (s *testServer) send(t testing.TB, method, target, token string, payload any, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *strings.Reader
	if payload != nil {
		r = body(t, payload)
		headers = append(headers, "Content-Type", "application/json")
	}
	if token != "" {
		headers = append(headers, "Authorization", "Bearer "+token)
	}
	if r == nil {
		return s.do(t, method, target, nil, headers...)
	}
	return s.do(t, method, target, r, headers...)
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, rec.Body, err)
	}
	return v
}

// login logs in and returns the tokens, failing the test otherwise.
func (s *testServer) login(t testing.TB, email, password string) Tokens {
	t.Helper()
	rec := s.send(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if rec.Code != http.StatusOK {
		t.Fatalf("login %s = %d %s", email, rec.Code, rec.Body)
	}
	return decode[Tokens](t, rec)
}

// createUser creates a user through the API as the admin and returns it.
func (s *testServer) createUser(t *testing.T, adminToken, email, role string) User {
	t.Helper()
	rec := s.send(t, "POST", "/api/v1/users", adminToken, map[string]string{"email": email, "name": "Some One", "role": role, "password": "password of " + email})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create user %s = %d %s", email, rec.Code, rec.Body)
	}
	return decode[User](t, rec)
}

func TestLoginAndMe(t *testing.T) {
	s := newTestServer(t)
	rec := s.send(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "  ADMIN@Example.com ", "password": adminPassword})
	if rec.Code != http.StatusOK {
		t.Fatalf("login = %d %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login Cache-Control = %q, want no-store", cc)
	}
	tok := decode[Tokens](t, rec)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || tok.AccessToken == "" || len(tok.RefreshToken) < 40 {
		t.Errorf("tokens = %+v", tok)
	}

	me := s.send(t, "GET", "/api/v1/auth/me", tok.AccessToken, nil)
	if me.Code != http.StatusOK {
		t.Fatalf("me = %d %s", me.Code, me.Body)
	}
	if u := decode[User](t, me); u.Email != adminEmail || u.Role != "admin" || !u.Active {
		t.Errorf("me = %+v", u)
	}
	if cc := me.Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("authenticated Cache-Control = %q, want private, no-store", cc)
	}
	if strings.Contains(me.Body.String(), "argon2") || strings.Contains(me.Body.String(), "password") {
		t.Errorf("me reveals the password hash: %s", me.Body)
	}
}

// mint signs arbitrary claims and headers, to forge tokens the way an attacker would.
func mint(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestRefusedTokens(t *testing.T) {
	s := newTestServer(t)
	admin := s.login(t, adminEmail, adminPassword)

	// A real token's parts, to build forgeries from.
	parts := strings.Split(admin.AccessToken, ".")
	var header map[string]any
	var claims map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(hb, &header)
	json.Unmarshal(cb, &claims)
	kid := header["kid"].(string)
	now := s.clock.Now()
	valid := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "folio", "aud": []string{"folio-api"}, "sub": claims["sub"], "sid": claims["sid"],
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hdr := map[string]any{"kid": kid, "typ": "at+jwt"}
	otherKey := []byte(strings.Repeat("x", 32))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	// Tokens of a user who is then deactivated, and of one who is then deleted.
	deactivated := s.createUser(t, admin.AccessToken, "gone@example.com", "editor")
	deactivatedTok := s.login(t, "gone@example.com", "password of gone@example.com")
	s.send(t, "PATCH", "/api/v1/users/"+deactivated.ID, admin.AccessToken, map[string]any{"active": false})
	deleted := s.createUser(t, admin.AccessToken, "deleted@example.com", "author")
	deletedTok := s.login(t, "deleted@example.com", "password of deleted@example.com")
	if rec := s.send(t, "DELETE", "/api/v1/users/"+deleted.ID, admin.AccessToken, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete = %d %s", rec.Code, rec.Body)
	}
	loggedOut := s.login(t, adminEmail, adminPassword)
	s.send(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": loggedOut.RefreshToken})

	secret := testSecret
	tests := []struct {
		name  string
		token string
	}{
		{"alg none", b64json(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + b64json(t, valid(nil)) + "."},
		{"signed with another key", mint(t, jwt.SigningMethodHS256, otherKey, hdr, valid(nil))},
		{"RS256 instead of HS256", mint(t, jwt.SigningMethodRS256, rsaKey, hdr, valid(nil))},
		{"HS512 with the right key", mint(t, jwt.SigningMethodHS512, secret, hdr, valid(nil))},
		{"expired", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }))},
		{"not valid before the future", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }))},
		{"issued in the future", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() }))},
		{"no exp", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"wrong iss", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["iss"] = "someone-else" }))},
		{"wrong aud", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["aud"] = "other-api" }))},
		{"no sid", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { delete(c, "sid") }))},
		{"unknown sid", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["sid"] = "0193d5b4-0000-7000-8000-000000000000" }))},
		{"another user's sid", mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["sub"] = deactivated.ID }))},
		{"kid naming no key", mint(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": "0000000000000000", "typ": "at+jwt"}, valid(nil))},
		{"no kid", mint(t, jwt.SigningMethodHS256, secret, map[string]any{"typ": "at+jwt"}, valid(nil))},
		{"not an access token (typ JWT)", mint(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": "JWT"}, valid(nil))},
		{"payload edited to role admin", parts[0] + "." + b64json(t, func() map[string]any { claims["role"] = "admin"; return claims }()) + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"garbage", "not-a-token"},
		{"huge", strings.Repeat("a", 5000)},
		{"deactivated user", deactivatedTok.AccessToken},
		{"deleted user", deletedTok.AccessToken},
		{"logged-out session", loggedOut.AccessToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.send(t, "GET", "/api/v1/auth/me", tt.token, nil)
			decodeProblem(t, rec, http.StatusUnauthorized)
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}

	// The control: the genuine token, and one minted the same way as the forgeries, pass.
	for name, tok := range map[string]string{"genuine": admin.AccessToken, "minted with the key": mint(t, jwt.SigningMethodHS256, secret, hdr, valid(nil))} {
		if rec := s.send(t, "GET", "/api/v1/auth/me", tok, nil); rec.Code != http.StatusOK {
			t.Errorf("%s token = %d %s, want 200", name, rec.Code, rec.Body)
		}
	}
	// Within the leeway, clock skew is tolerated.
	skewed := mint(t, jwt.SigningMethodHS256, secret, hdr, valid(func(c jwt.MapClaims) { c["exp"] = now.Add(-20 * time.Second).Unix() }))
	if rec := s.send(t, "GET", "/api/v1/auth/me", skewed, nil); rec.Code != http.StatusOK {
		t.Errorf("token expired 20s ago (leeway 30s) = %d, want 200", rec.Code)
	}
	for _, h := range []string{"", "Basic YWRtaW46cGFzcw==", "Bearer", "Bearer "} {
		rec := s.do(t, "GET", "/api/v1/auth/me", nil, "Authorization", h)
		decodeProblem(t, rec, http.StatusUnauthorized)
	}
}

func TestAccessTokensExpire(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword)
	s.clock.Advance(15*time.Minute + 31*time.Second) // lifetime plus leeway
	decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", tok.AccessToken, nil), http.StatusUnauthorized)
	// The refresh token still works and gives a fresh access token.
	rec := s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
	if rec.Code != http.StatusOK {
		t.Fatalf("refresh = %d %s", rec.Code, rec.Body)
	}
	if me := s.send(t, "GET", "/api/v1/auth/me", decode[Tokens](t, rec).AccessToken, nil); me.Code != http.StatusOK {
		t.Errorf("me with the refreshed token = %d", me.Code)
	}
	// Refresh tokens expire after 30 days.
	s.clock.Advance(31 * 24 * time.Hour)
	decodeProblem(t, s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": decode[Tokens](t, rec).RefreshToken}), http.StatusUnauthorized)
}

func TestRefreshRotation(t *testing.T) {
	s := newTestServer(t)
	first := s.login(t, adminEmail, adminPassword)
	refresh := func(token string) *httptest.ResponseRecorder {
		return s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": token})
	}

	rec := refresh(first.RefreshToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("refresh = %d %s", rec.Code, rec.Body)
	}
	second := decode[Tokens](t, rec)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh returned the same tokens")
	}
	if me := s.send(t, "GET", "/api/v1/auth/me", second.AccessToken, nil); me.Code != http.StatusOK {
		t.Fatalf("me with the new access token = %d", me.Code)
	}

	// The first refresh token again: someone copied it. The whole session ends.
	decodeProblem(t, refresh(first.RefreshToken), http.StatusUnauthorized)
	decodeProblem(t, refresh(second.RefreshToken), http.StatusUnauthorized)
	decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", second.AccessToken, nil), http.StatusUnauthorized)

	// Other sessions are not affected.
	other := s.login(t, adminEmail, adminPassword)
	if rec := refresh(other.RefreshToken); rec.Code != http.StatusOK {
		t.Errorf("refresh of another session = %d", rec.Code)
	}
	decodeProblem(t, refresh("made-up"), http.StatusUnauthorized)
}

func TestLogout(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword)
	rec := s.send(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": tok.RefreshToken})
	if rec.Code != http.StatusNoContent {
		t.Fatalf("logout = %d %s", rec.Code, rec.Body)
	}
	decodeProblem(t, s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
	decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", tok.AccessToken, nil), http.StatusUnauthorized)
	// Again, and with a token nobody issued: still 204.
	for _, token := range []string{tok.RefreshToken, "unknown"} {
		if rec := s.send(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": token}); rec.Code != http.StatusNoContent {
			t.Errorf("logout %q = %d", token, rec.Code)
		}
	}
}

// loginFrom logs in from a client address, without trusted proxies.
func (s *testServer) loginFrom(t *testing.T, addr string, creds map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", body(t, creds))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestLoginThrottlingByAccount(t *testing.T) {
	s := newTestServer(t)
	wrong := map[string]string{"email": adminEmail, "password": "wrong password!"}
	right := map[string]string{"email": adminEmail, "password": adminPassword}

	// Malformed attempts do not count.
	for range 10 {
		s.loginFrom(t, "192.0.2.1", map[string]string{"email": adminEmail})
	}
	for range 4 {
		decodeProblem(t, s.loginFrom(t, "192.0.2.1", wrong), http.StatusUnauthorized)
	}
	// A success clears the account's count...
	if rec := s.loginFrom(t, "192.0.2.1", right); rec.Code != http.StatusOK {
		t.Fatalf("login after 4 failures = %d", rec.Code)
	}
	// ...so from another address, four more failures are still under the limit,
	for range 4 {
		decodeProblem(t, s.loginFrom(t, "192.0.2.2", wrong), http.StatusUnauthorized)
	}
	if rec := s.loginFrom(t, "192.0.2.2", right); rec.Code != http.StatusOK {
		t.Fatalf("login after 4 more failures = %d", rec.Code)
	}
	// and five without a success in between lock the account, from any address, even with the
	// right password.
	for range 5 {
		decodeProblem(t, s.loginFrom(t, "192.0.2.3", wrong), http.StatusUnauthorized)
	}
	rec := s.loginFrom(t, "192.0.2.4", right)
	decodeProblem(t, rec, http.StatusTooManyRequests)
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || retry < 1 || retry > 900 {
		t.Errorf("Retry-After = %q, want 1 to 900 seconds", rec.Header().Get("Retry-After"))
	}
	s.clock.Advance(time.Duration(retry-2) * time.Second)
	decodeProblem(t, s.loginFrom(t, "192.0.2.4", right), http.StatusTooManyRequests)
	s.clock.Advance(2 * time.Second)
	if rec := s.loginFrom(t, "192.0.2.4", right); rec.Code != http.StatusOK {
		t.Errorf("login once Retry-After has passed = %d %s", rec.Code, rec.Body)
	}
}

func TestLoginThrottlingByAddress(t *testing.T) {
	s := newTestServer(t)
	from := func(addr string, creds map[string]string) *httptest.ResponseRecorder {
		return s.loginFrom(t, addr, creds)
	}
	// Unknown emails count against the address.
	for i := range 5 {
		decodeProblem(t, from("198.51.100.1", map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "whatever1234"}), http.StatusUnauthorized)
	}
	right := map[string]string{"email": adminEmail, "password": adminPassword}
	decodeProblem(t, from("198.51.100.1", right), http.StatusTooManyRequests)
	if rec := from("198.51.100.2", right); rec.Code != http.StatusOK {
		t.Errorf("login from another address = %d, want 200: only the address is throttled", rec.Code)
	}
	// X-Forwarded-For is not believed without trusted proxies: a guesser cannot pick a fresh address.
	spoofed := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", body(t, right))
	spoofed.Header.Set("Content-Type", "application/json")
	spoofed.Header.Set("X-Forwarded-For", "192.0.2.77")
	spoofed.RemoteAddr = "198.51.100.1:40000"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, spoofed)
	decodeProblem(t, rec, http.StatusTooManyRequests)
}

func TestLoginDoesNotRevealAccounts(t *testing.T) {
	s := newTestServer(t)
	editor := s.createUser(t, s.login(t, adminEmail, adminPassword).AccessToken, "inactive@example.com", "editor")
	s.send(t, "PATCH", "/api/v1/users/"+editor.ID, s.login(t, adminEmail, adminPassword).AccessToken, map[string]any{"active": false})

	var bodies []string
	for _, creds := range []map[string]string{
		{"email": "nobody@example.com", "password": "some password"},
		{"email": adminEmail, "password": "some password"},
		{"email": "inactive@example.com", "password": "password of inactive@example.com"},
	} {
		rec := s.send(t, "POST", "/api/v1/auth/login", "", creds)
		p := decodeProblem(t, rec, http.StatusUnauthorized)
		p.RequestID = ""
		b, _ := json.Marshal(p)
		bodies = append(bodies, string(b))
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i] != bodies[0] {
			t.Errorf("responses differ:\n%s\n%s", bodies[0], bodies[i])
		}
	}
}

func TestUsersAdministration(t *testing.T) {
	s := newTestServer(t)
	admin := s.login(t, adminEmail, adminPassword).AccessToken

	rec := s.send(t, "POST", "/api/v1/users", admin, map[string]string{"email": "Ed@Example.com", "name": " Ed ", "role": "editor", "password": "editor password"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	ed := decode[User](t, rec)
	if ed.Email != "ed@example.com" || ed.Name != "Ed" || rec.Header().Get("Location") != "/api/v1/users/"+ed.ID || rec.Header().Get("ETag") != `"v1"` {
		t.Errorf("created %+v, Location %q, ETag %q", ed, rec.Header().Get("Location"), rec.Header().Get("ETag"))
	}
	s.createUser(t, admin, "author@example.com", "author")

	// Paging: one at a time, following next_cursor and Link.
	var emails []string
	next := "/api/v1/users?limit=1"
	for next != "" {
		rec := s.send(t, "GET", next, admin, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", next, rec.Code, rec.Body)
		}
		page := decode[UserList](t, rec)
		for _, u := range page.Data {
			emails = append(emails, u.Email)
		}
		next = ""
		if page.Meta.NextCursor != nil {
			link := rec.Header().Get("Link")
			if !strings.Contains(link, `rel="next"`) {
				t.Errorf("Link = %q, want rel=next", link)
			}
			next = strings.TrimPrefix(strings.Split(link, ">")[0], "<")
		}
	}
	if strings.Join(emails, ",") != adminEmail+",ed@example.com,author@example.com" {
		t.Errorf("paged users = %v", emails)
	}

	// Optimistic concurrency, when If-Match is sent.
	rec = s.send(t, "PATCH", "/api/v1/users/"+ed.ID, admin, map[string]any{"name": "Edwina"}, "If-Match", `"v1"`)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"v2"` || decode[User](t, rec).Name != "Edwina" {
		t.Fatalf("patch = %d %s ETag %s", rec.Code, rec.Body, rec.Header().Get("ETag"))
	}
	rec = s.send(t, "PATCH", "/api/v1/users/"+ed.ID, admin, map[string]any{"name": "Stale"}, "If-Match", `"v1"`)
	decodeProblem(t, rec, http.StatusPreconditionFailed)
	if rec.Header().Get("ETag") != `"v2"` {
		t.Errorf("412 ETag = %q, want the current \"v2\"", rec.Header().Get("ETag"))
	}
	decodeProblem(t, s.send(t, "DELETE", "/api/v1/users/"+ed.ID, admin, nil, "If-Match", `W/"v2"`), http.StatusPreconditionFailed)

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"taken email", "POST", "/api/v1/users", map[string]string{"email": "ED@example.com", "name": "x", "role": "author", "password": "long enough pw"}, 409, "email"},
		{"short password", "POST", "/api/v1/users", map[string]string{"email": "p@example.com", "name": "x", "role": "author", "password": "short"}, 422, "password"},
		{"long password", "POST", "/api/v1/users", map[string]string{"email": "p@example.com", "name": "x", "role": "author", "password": strings.Repeat("p", 257)}, 422, "password"},
		{"bad role", "POST", "/api/v1/users", map[string]string{"email": "p@example.com", "name": "x", "role": "owner", "password": "long enough pw"}, 422, "role"},
		{"bad email", "POST", "/api/v1/users", map[string]string{"email": "not an email", "name": "x", "role": "author", "password": "long enough pw"}, 422, "email"},
		{"missing name", "POST", "/api/v1/users", map[string]string{"email": "p@example.com", "role": "author", "password": "long enough pw"}, 422, "name"},
		{"server-owned id", "POST", "/api/v1/users", map[string]string{"id": "x", "email": "p@example.com", "name": "x", "role": "author", "password": "long enough pw"}, 400, "id"},
		{"case-variant property", "PATCH", "/api/v1/users/" + ed.ID, `{"ROLE": "admin"}`, 400, "ROLE"},
		{"unknown property", "PATCH", "/api/v1/users/" + ed.ID, `{"nickname": "e"}`, 400, "nickname"},
		{"server-owned version", "PATCH", "/api/v1/users/" + ed.ID, `{"version": 9}`, 400, "version"},
		{"wrong type", "PATCH", "/api/v1/users/" + ed.ID, `{"active": "no"}`, 422, "active"},
		{"null", "PATCH", "/api/v1/users/" + ed.ID, `{"name": null}`, 422, "name"},
		{"demote the last admin", "PATCH", "/api/v1/users/" + s.userID(t, admin), map[string]any{"role": "editor"}, 409, ""},
		{"deactivate the last admin", "PATCH", "/api/v1/users/" + s.userID(t, admin), map[string]any{"active": false}, 409, ""},
		{"delete the last admin", "DELETE", "/api/v1/users/" + s.userID(t, admin), nil, 409, ""},
		{"unknown user", "GET", "/api/v1/users/0193d5b4-0000-7000-8000-000000000000", nil, 404, ""},
		{"limit too large", "GET", "/api/v1/users?limit=101", nil, 400, "limit"},
		{"limit zero", "GET", "/api/v1/users?limit=0", nil, 400, "limit"},
		{"bad cursor", "GET", "/api/v1/users?cursor=!!!", nil, 400, "cursor"},
		{"unknown parameter", "GET", "/api/v1/users?role=admin", nil, 400, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := decodeProblem(t, s.send(t, tt.method, tt.path, admin, tt.body), tt.status)
			if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field) {
				t.Errorf("errors = %+v, want one about %s", p.Errors, tt.field)
			}
		})
	}
	if got := decode[User](t, s.send(t, "GET", "/api/v1/users/"+ed.ID, admin, nil)); got.Role != "editor" || got.Name != "Edwina" {
		t.Errorf("after the refused changes, Ed = %+v", got)
	}

	// With a second admin, the first may step down.
	other := s.createUser(t, admin, "admin2@example.com", "admin")
	if rec := s.send(t, "PATCH", "/api/v1/users/"+s.userID(t, admin), admin, map[string]any{"role": "editor"}); rec.Code != http.StatusOK {
		t.Errorf("demote with another admin = %d %s", rec.Code, rec.Body)
	}
	// The demotion applies at the next request, with the same token.
	decodeProblem(t, s.send(t, "GET", "/api/v1/users", admin, nil), http.StatusForbidden)
	_ = other
}

// userID returns the id of the token's user.
func (s *testServer) userID(t *testing.T, token string) string {
	t.Helper()
	return decode[User](t, s.send(t, "GET", "/api/v1/auth/me", token, nil)).ID
}

func TestRoles(t *testing.T) {
	s := newTestServer(t)
	admin := s.login(t, adminEmail, adminPassword).AccessToken
	for _, role := range []string{"editor", "author"} {
		s.createUser(t, admin, role+"@example.com", role)
		tok := s.login(t, role+"@example.com", "password of "+role+"@example.com").AccessToken
		for _, r := range []struct{ method, path string }{{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/users/x"}, {"PATCH", "/api/v1/users/x"}, {"DELETE", "/api/v1/users/x"}} {
			var payload any
			if r.method == "POST" || r.method == "PATCH" {
				payload = map[string]string{}
			}
			decodeProblem(t, s.send(t, r.method, r.path, tok, payload), http.StatusForbidden)
			decodeProblem(t, s.send(t, r.method, r.path, "", payload), http.StatusUnauthorized)
		}
	}
}

func TestChangePassword(t *testing.T) {
	s := newTestServer(t)
	a := s.login(t, adminEmail, adminPassword)
	b := s.login(t, adminEmail, adminPassword)
	change := func(current, next string) *httptest.ResponseRecorder {
		return s.send(t, "POST", "/api/v1/auth/password", a.AccessToken, map[string]string{"current_password": current, "new_password": next})
	}
	if p := decodeProblem(t, change("wrong password", "new password 456"), 422); p.Errors[0].Field != "current_password" {
		t.Errorf("wrong current password errors = %+v", p.Errors)
	}
	if p := decodeProblem(t, change(adminPassword, "short"), 422); p.Errors[0].Field != "new_password" {
		t.Errorf("short new password errors = %+v", p.Errors)
	}
	if rec := change(adminPassword, "new password 456"); rec.Code != http.StatusNoContent {
		t.Fatalf("change = %d %s", rec.Code, rec.Body)
	}
	// This session stays; the other one ends, access and refresh tokens alike.
	if rec := s.send(t, "GET", "/api/v1/auth/me", a.AccessToken, nil); rec.Code != http.StatusOK {
		t.Errorf("me in the session that changed the password = %d", rec.Code)
	}
	decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", b.AccessToken, nil), http.StatusUnauthorized)
	decodeProblem(t, s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": b.RefreshToken}), http.StatusUnauthorized)
	decodeProblem(t, s.send(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": adminEmail, "password": adminPassword}), http.StatusUnauthorized)
	s.login(t, adminEmail, "new password 456")
}

// TestSecretsStayOutOfTheLog runs the flows that handle passwords and tokens, with debug
// logging, and searches the whole log for any of them.
func TestSecretsStayOutOfTheLog(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword)
	s.send(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": adminEmail, "password": "wrong guess 1"})
	ed := s.createUser(t, tok.AccessToken, "ed@example.com", "editor")
	s.send(t, "PATCH", "/api/v1/users/"+ed.ID, tok.AccessToken, map[string]any{"password": "patched secret 1"})
	rec := s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
	next := decode[Tokens](t, rec)
	s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}) // reuse
	s.send(t, "POST", "/api/v1/auth/password", next.AccessToken, map[string]string{"current_password": "bad current 1", "new_password": "never stored 1"})
	s.send(t, "GET", "/api/v1/auth/me", "forged."+tok.AccessToken, nil)

	log := s.log.String()
	if !strings.Contains(log, `"route":"/api/v1/auth/login"`) {
		t.Fatalf("the log did not capture the requests:\n%s", log)
	}
	for _, secret := range []string{adminPassword, "wrong guess 1", "password of ed@example.com", "patched secret 1",
		"bad current 1", "never stored 1", tok.AccessToken, tok.RefreshToken, next.AccessToken, next.RefreshToken, "$argon2id$"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// TestSessionsEndWhenAnAdminActs: an admin setting a user's password, or deactivating them,
// ends the user's sessions; reactivating does not bring them back.
func TestSessionsEndWhenAnAdminActs(t *testing.T) {
	s := newTestServer(t)
	admin := s.login(t, adminEmail, adminPassword).AccessToken
	for _, change := range []map[string]any{{"password": "set by the admin 1"}, {"active": false}} {
		u := s.createUser(t, admin, fmt.Sprintf("u%d@example.com", len(change)+len(fmt.Sprint(change))), "editor")
		tok := s.login(t, u.Email, "password of "+u.Email)
		if rec := s.send(t, "PATCH", "/api/v1/users/"+u.ID, admin, change); rec.Code != http.StatusOK {
			t.Fatalf("PATCH %v = %d %s", change, rec.Code, rec.Body)
		}
		if change["active"] == false {
			s.send(t, "PATCH", "/api/v1/users/"+u.ID, admin, map[string]any{"active": true})
		}
		decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", tok.AccessToken, nil), http.StatusUnauthorized)
		decodeProblem(t, s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
	}
}

func TestChangePasswordIsThrottled(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword)
	for range 5 {
		decodeProblem(t, s.send(t, "POST", "/api/v1/auth/password", tok.AccessToken,
			map[string]string{"current_password": "a wrong guess", "new_password": "new password 456"}), 422)
	}
	rec := s.send(t, "POST", "/api/v1/auth/password", tok.AccessToken, map[string]string{"current_password": adminPassword, "new_password": "new password 456"})
	decodeProblem(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The guesses counted against the account: logging in is throttled too.
	decodeProblem(t, s.loginFrom(t, "192.0.2.200", map[string]string{"email": adminEmail, "password": adminPassword}), http.StatusTooManyRequests)
}

// TestNonCanonicalTokenEncoding: the same signature bytes spelt another way are refused, so a
// token has exactly one spelling.
func TestNonCanonicalTokenEncoding(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword).AccessToken
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	// A 32-byte signature leaves the last character's lowest 2 bits unused: flipping one keeps
	// the bytes and changes the spelling.
	forged := tok[:len(tok)-1] + string(alphabet[last^1])
	if sig, _ := base64.RawURLEncoding.DecodeString(strings.Split(forged, ".")[2]); len(sig) != 32 {
		t.Fatalf("test setup: signature is %d bytes", len(sig))
	}
	decodeProblem(t, s.send(t, "GET", "/api/v1/auth/me", forged, nil), http.StatusUnauthorized)
}

// TestParallelGuessesAreThrottled sends wrong passwords all at once: exactly MaxFailures get a
// 401 and the rest 429, however the requests interleave.
func TestParallelGuessesAreThrottled(t *testing.T) {
	s := newTestServer(t)
	const n = 30
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			codes <- s.loginFrom(t, "192.0.2.50", map[string]string{"email": adminEmail, "password": "a wrong guess"}).Code
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[401] != 5 || count[429] != n-5 {
		t.Errorf("parallel wrong logins: %v, want 5 × 401 and %d × 429", count, n-5)
	}
}

// TestThrottlingDoesNotRevealAccounts: failures for an unknown email count like failures for a
// real account, so the 429 tells an attacker nothing about which emails have accounts.
func TestThrottlingDoesNotRevealAccounts(t *testing.T) {
	s := newTestServer(t)
	for i := range 5 {
		s.loginFrom(t, fmt.Sprintf("192.0.2.%d", 10+i), map[string]string{"email": adminEmail, "password": "a wrong guess"})
		s.loginFrom(t, fmt.Sprintf("192.0.2.%d", 20+i), map[string]string{"email": "nobody@example.com", "password": "a wrong guess"})
	}
	for _, email := range []string{adminEmail, "nobody@example.com"} {
		decodeProblem(t, s.loginFrom(t, "198.51.100.99", map[string]string{"email": email, "password": "a wrong guess"}), http.StatusTooManyRequests)
	}
}

func TestIPv6AddressesAreThrottledByBlock(t *testing.T) {
	s := newTestServer(t)
	for i := range 5 {
		addr := fmt.Sprintf("[2001:db8:1:2::%x]", i+1)
		s.loginFrom(t, addr, map[string]string{"email": fmt.Sprintf("n%d@example.com", i), "password": "a wrong guess"})
	}
	// Another address of the same /64 is the same client.
	decodeProblem(t, s.loginFrom(t, "[2001:db8:1:2::ffff]", map[string]string{"email": adminEmail, "password": adminPassword}), http.StatusTooManyRequests)
	if rec := s.loginFrom(t, "[2001:db8:1:3::1]", map[string]string{"email": adminEmail, "password": adminPassword}); rec.Code != http.StatusOK {
		t.Errorf("login from another /64 = %d, want 200", rec.Code)
	}
}

// TestParallelRefreshOfOneToken: one request rotates the token; the others present a spent
// token, which ends the session (SPEC: no grace window).
func TestParallelRefreshOfOneToken(t *testing.T) {
	s := newTestServer(t)
	tok := s.login(t, adminEmail, adminPassword)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			codes <- s.send(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).Code
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == http.StatusOK {
			ok++
		} else if c != http.StatusUnauthorized {
			t.Errorf("refresh = %d, want 200 or 401", c)
		}
	}
	if ok != 1 {
		t.Errorf("%d parallel refreshes of one token succeeded, want exactly 1", ok)
	}
}

// TestAdminsDemotingEachOther: two admins demote each other at once; one must stay.
func TestAdminsDemotingEachOther(t *testing.T) {
	s := newTestServer(t)
	first := s.login(t, adminEmail, adminPassword).AccessToken
	other := s.createUser(t, first, "admin2@example.com", "admin")
	second := s.login(t, other.Email, "password of "+other.Email).AccessToken
	firstID := s.userID(t, first)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() {
		codes[0] = s.send(t, "PATCH", "/api/v1/users/"+other.ID, first, map[string]any{"role": "editor"}).Code
	})
	wg.Go(func() {
		codes[1] = s.send(t, "PATCH", "/api/v1/users/"+firstID, second, map[string]any{"role": "editor"}).Code
	})
	wg.Wait()
	slices.Sort(codes)
	// Either one demotion wins and the other is refused (403: no longer an admin; or 409: the
	// last admin), or both land in an order where the second is refused.
	if codes[0] != http.StatusOK || (codes[1] != http.StatusForbidden && codes[1] != http.StatusConflict) {
		t.Errorf("codes = %v, want one 200 and one refusal", codes)
	}
	admins := 0
	for _, tok := range []string{first, second} {
		if rec := s.send(t, "GET", "/api/v1/users", tok, nil); rec.Code == http.StatusOK {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("%d admins left, want 1", admins)
	}
}

func TestDuplicatePropertiesAreRefused(t *testing.T) {
	s := newTestServer(t)
	body := `{"email": "nobody@example.com", "email": "` + adminEmail + `", "password": "` + adminPassword + `"}`
	p := decodeProblem(t, s.send(t, "POST", "/api/v1/auth/login", "", body), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "email" {
		t.Errorf("errors = %+v, want one about email", p.Errors)
	}
}
