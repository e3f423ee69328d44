package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/database"
)

// TestContract sends, for every operation in the OpenAPI document, a request for each status the
// document gives it, and holds every exchange to the document (contract_test.go): status,
// headers, media type and body. It fails when a documented status has no case here, and when a
// case's status is not documented; so an annotation and its cases change together.
func TestContract(t *testing.T) {
	f := newContractFixture(t)
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	cases := contractCases()
	covered := map[string][]int{}
	for _, cc := range cases {
		covered[cc.op] = append(covered[cc.op], cc.status)
		t.Run(fmt.Sprintf("%s/%d", cc.op, cc.status), func(t *testing.T) {
			s := f.testServer
			if cc.on != nil {
				s = cc.on(t)
			}
			x := cc.build(t, f)
			req, body := f.request(t, x)
			if route, _, err := c.router.FindRoute(req); err != nil || route.Operation.OperationID != cc.op {
				t.Fatalf("%s %s is not operation %s in the document (%v)", x.method, x.path, cc.op, err)
			}
			if cc.busy {
				defer holdWriteLock(t, f.path)()
			}
			rec := s.serve(t, req, body)
			if rec.Code != cc.status {
				t.Errorf("%s %s = %d, want %d; body %s", x.method, x.path, rec.Code, cc.status, rec.Body)
			}
		})
	}

	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code := range op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				if !slices.Contains(covered[op.OperationID], n) {
					t.Errorf("%s %s (%s) documents %s, but no contract case answers it", method, path, op.OperationID, code)
				}
			}
		}
	}
}

// exchange is the request of a contract case.
type exchange struct {
	method, path string
	token        string   // a bearer token; none when empty
	body         any      // JSON-encoded, but a string is sent as it is; no body when nil
	headers      []string // name, value pairs, set after the others; an empty value removes one
}

// contractCase is one status of one operation: build makes what the request needs (a fresh
// item, user or tag, so that cases do not depend on each other) and returns the request.
type contractCase struct {
	op     string
	status int
	build  func(*testing.T, *contractFixture) exchange
	busy   bool                         // sent while another connection holds the write lock
	on     func(*testing.T) *testServer // another server than the fixture's
}

type contractFixture struct {
	*itemsFixture
	n int // makes names, emails and client addresses unique
}

// contractBusyTimeout is how long the fixture's writes wait for another connection's lock
// before the 503; short, so that the cases that wait do not slow the suite.
const contractBusyTimeout = 50 * time.Millisecond

const contractMetricsToken = "contract-metrics-token-0123456789abcdef"

func newContractFixture(t *testing.T) *contractFixture {
	s := newTestServerOn(t, database.Options{BusyTimeout: contractBusyTimeout}, func(c *config.Config) {
		c.MetricsToken = contractMetricsToken
	})
	return &contractFixture{itemsFixture: newItemsFixtureOn(t, s)}
}

func (f *contractFixture) next() int { f.n++; return f.n }

// request makes x into a request from an address of its own, so that the failures some cases
// make on purpose never add up to throttling by address for the others.
func (f *contractFixture) request(t *testing.T, x exchange) (*http.Request, []byte) {
	t.Helper()
	var body []byte
	switch b := x.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(x.method, x.path, nil)
	if body != nil {
		req = httptest.NewRequest(x.method, x.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if x.token != "" {
		req.Header.Set("Authorization", "Bearer "+x.token)
	}
	for i := 0; i+1 < len(x.headers); i += 2 {
		if x.headers[i+1] == "" {
			req.Header.Del(x.headers[i])
		} else {
			req.Header.Set(x.headers[i], x.headers[i+1])
		}
	}
	n := f.next()
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
	return req, body
}

// call sends x as a case's preparation, failing the test unless it is answered want.
func (f *contractFixture) call(t *testing.T, x exchange, want int) *httptest.ResponseRecorder {
	t.Helper()
	req, body := f.request(t, x)
	rec := f.serve(t, req, body)
	if rec.Code != want {
		t.Fatalf("preparing: %s %s = %d, want %d; body %s", x.method, x.path, rec.Code, want, rec.Body)
	}
	return rec
}

// holdWriteLock holds the database's write lock from another connection, as a long import in
// another process does, and returns its release.
func holdWriteLock(t *testing.T, location string) func() {
	t.Helper()
	other, err := database.Open(t.Context(), database.Options{Path: location})
	if err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- database.Write(t.Context(), other, func(*gorm.DB) error {
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("take the write lock: %v", err)
	}
	return func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("release the write lock: %v", err)
		}
		database.Close(other)
	}
}

// What the cases make.

func (f *contractFixture) newUser(t *testing.T, role string) (User, string) {
	t.Helper()
	email := fmt.Sprintf("user%d@example.com", f.next())
	password := "password of " + email
	rec := f.call(t, exchange{method: "POST", path: "/api/v1/users", token: f.admin,
		body: map[string]string{"email": email, "name": "Some One", "role": role, "password": password}}, http.StatusCreated)
	return decode[User](t, rec), password
}

func (f *contractFixture) tokens(t *testing.T, email, password string) Tokens {
	t.Helper()
	rec := f.call(t, exchange{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": password}}, http.StatusOK)
	return decode[Tokens](t, rec)
}

// draft is a new news item of the author's.
func (f *contractFixture) draft(t *testing.T, token string, extra ...any) Item {
	t.Helper()
	body := map[string]any{"type": "news", "title": fmt.Sprintf("Item %d", f.next())}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return decode[Item](t, f.call(t, exchange{method: "POST", path: "/api/v1/items", token: token, body: body}, http.StatusCreated))
}

// published is a new news item, made and published by the editor.
func (f *contractFixture) published(t *testing.T) Item {
	t.Helper()
	it := f.draft(t, f.editor)
	return f.itemAction(t, it, "publish")
}

func (f *contractFixture) itemAction(t *testing.T, it Item, action string) Item {
	t.Helper()
	return decode[Item](t, f.call(t, exchange{method: "POST", path: "/api/v1/items/" + it.ID + "/" + action, token: f.editor,
		headers: []string{"If-Match", etag(it.Version)}}, http.StatusOK))
}

// trashed is a new draft of the editor's, in the trash.
func (f *contractFixture) trashed(t *testing.T) Item {
	t.Helper()
	it := f.draft(t, f.editor)
	rec := f.call(t, exchange{method: "DELETE", path: "/api/v1/items/" + it.ID, token: f.editor, headers: []string{"If-Match", etag(it.Version)}}, http.StatusNoContent)
	it.Version = etagVersion(rec.Header().Get("ETag"))
	return it
}

// edited is the editor's draft changed once, so that it has a revision 1 to go back to.
func (f *contractFixture) edited(t *testing.T) Item {
	t.Helper()
	it := f.draft(t, f.editor)
	return decode[Item](t, f.call(t, exchange{method: "PATCH", path: "/api/v1/items/" + it.ID, token: f.editor,
		body: map[string]any{"title": it.Title + " (edited)"}, headers: []string{"If-Match", etag(it.Version)}}, http.StatusOK))
}

func (f *contractFixture) newTag(t *testing.T) Tag {
	t.Helper()
	slug := fmt.Sprintf("tag-%d", f.next())
	return decode[Tag](t, f.call(t, exchange{method: "POST", path: "/api/v1/tags", token: f.editor, body: map[string]string{"slug": slug, "name": slug}}, http.StatusCreated))
}

func (f *contractFixture) newType(t *testing.T, fields ...map[string]any) ContentType {
	t.Helper()
	key := fmt.Sprintf("kind%d", f.next())
	if fields == nil {
		fields = []map[string]any{}
	}
	return decode[ContentType](t, f.call(t, exchange{method: "POST", path: "/api/v1/types", token: f.admin,
		body: map[string]any{"key": key, "name": "Kind", "fields": fields}}, http.StatusCreated))
}

func (f *contractFixture) newCollection(t *testing.T) Collection {
	t.Helper()
	key := fmt.Sprintf("collection-%d", f.next())
	return decode[Collection](t, f.call(t, exchange{method: "POST", path: "/api/v1/collections", token: f.editor,
		body: map[string]any{"key": key, "title": "A collection", "filter": map[string]any{"types": []string{"news"}}}}, http.StatusCreated))
}

// revalidate makes x conditional on the ETag of its own answer now.
func (f *contractFixture) revalidate(t *testing.T, x exchange) exchange {
	t.Helper()
	tag := f.call(t, x, http.StatusOK).Header().Get("ETag")
	if tag == "" {
		t.Fatalf("%s %s has no ETag", x.method, x.path)
	}
	x.headers = append(slices.Clone(x.headers), "If-None-Match", tag)
	return x
}

// How a case's request goes wrong. Each takes the request of the operation's success case.

type builder = func(*testing.T, *contractFixture) exchange

func with(b builder, change func(*exchange)) builder {
	return func(t *testing.T, f *contractFixture) exchange {
		x := b(t, f)
		x.headers = slices.Clone(x.headers)
		change(&x)
		return x
	}
}

// A token the server did not sign.
func badToken(x *exchange) { x.token = "not.a.token" }

// A body over the fixture's 1 KiB limit.
func tooLarge(x *exchange) { x.body = `{"title": "` + strings.Repeat("a", 2048) + `"}` }

func notJSON(x *exchange) { x.headers = append(x.headers, "Content-Type", "text/plain") }

func malformed(x *exchange) { x.body = `{"title": ` }

func stale(x *exchange) { x.headers = append(x.headers, "If-Match", `"v999999"`) }

func unconditional(x *exchange) { x.headers = append(x.headers, "If-Match", "") }

func query(q string) func(*exchange) { return func(x *exchange) { x.path += q } }

// as replaces the caller with a role the operation refuses.
func as(b builder, who func(*contractFixture) string) builder {
	return func(t *testing.T, f *contractFixture) exchange {
		x := b(t, f)
		x.token = who(f)
		return x
	}
}

func author(f *contractFixture) string { return f.author }
func editor(f *contractFixture) string { return f.editor }

const missingID = "01900000-0000-7000-8000-000000000000"

// missingItem puts an id no item has in the place of the item's in x's path.
func missingItem(x *exchange) {
	x.path = strings.Replace(x.path, x.path[len("/api/v1/items/"):][:36], missingID, 1)
}

// bodyCases are the cases that every operation with a JSON body has alike.
func bodyCases(op string, ok builder) []contractCase {
	return []contractCase{
		{op: op, status: http.StatusBadRequest, build: with(ok, malformed)},
		{op: op, status: http.StatusRequestEntityTooLarge, build: with(ok, tooLarge)},
		{op: op, status: http.StatusUnsupportedMediaType, build: with(ok, notJSON)},
	}
}

// writeCases are success, busy and bad-token cases of a write.
func writeCases(op string, status int, ok builder) []contractCase {
	return []contractCase{
		{op: op, status: status, build: ok},
		{op: op, status: http.StatusServiceUnavailable, build: ok, busy: true},
		{op: op, status: http.StatusUnauthorized, build: with(ok, badToken)},
	}
}

// readCases are the cases of a public read: success, revalidation, a bad token.
func readCases(op string, ok builder) []contractCase {
	return []contractCase{
		{op: op, status: http.StatusOK, build: ok},
		{op: op, status: http.StatusNotModified, build: func(t *testing.T, f *contractFixture) exchange { return f.revalidate(t, ok(t, f)) }},
		{op: op, status: http.StatusUnauthorized, build: with(ok, badToken)},
	}
}

func cases(groups ...[]contractCase) []contractCase { return slices.Concat(groups...) }

func one(op string, status int, b builder) []contractCase {
	return []contractCase{{op: op, status: status, build: b}}
}

func contractCases() []contractCase {
	return slices.Concat(
		operationsCases(), authCases(), userCases(), itemCases(), revisionCases(),
		typeCases(), tagCases(), collectionCases(),
	)
}

func operationsCases() []contractCase {
	plainServer := func(t *testing.T) *testServer { return newTestServer(t) }
	down := func(t *testing.T) *testServer {
		return &testServer{Echo: NewServer(config.Config{BodyLimit: 1024}, slog.New(slog.DiscardHandler), NewRegistry(), Deps{
			Ping: func(context.Context) error { return errors.New("disk I/O error") },
		})}
	}
	get := func(path string, headers ...string) builder {
		return func(*testing.T, *contractFixture) exchange {
			return exchange{method: "GET", path: path, headers: headers}
		}
	}
	doc := get("/openapi.json")
	return cases(
		one("getHealth", 200, get("/healthz")),
		one("getReadiness", 200, get("/readyz")),
		[]contractCase{{op: "getReadiness", status: 503, build: get("/readyz"), on: down}},
		one("getMetrics", 200, get("/metrics", "Authorization", "Bearer "+contractMetricsToken)),
		one("getMetrics", 401, get("/metrics", "Authorization", "Bearer wrong")),
		[]contractCase{{op: "getMetrics", status: 404, build: get("/metrics"), on: plainServer}},
		one("getOpenAPIDocument", 200, doc),
		one("getOpenAPIDocument", 304, func(t *testing.T, f *contractFixture) exchange { return f.revalidate(t, doc(t, f)) }),
		one("getDocs", 200, get("/docs")),
		one("getDocsAsset", 200, get("/docs/swagger-ui.css")),
		one("getDocsAsset", 404, get("/docs/nothing.js")),
	)
}

func authCases() []contractCase {
	login := func(t *testing.T, f *contractFixture) exchange {
		u, password := f.newUser(t, "author")
		return exchange{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": u.Email, "password": password}}
	}
	refreshBody := func(op string) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			tok := f.tokens(t, adminEmail, adminPassword)
			return exchange{method: "POST", path: "/api/v1/auth/" + op, body: map[string]string{"refresh_token": tok.RefreshToken}}
		}
	}
	logout, refresh := refreshBody("logout"), refreshBody("refresh")
	password := func(t *testing.T, f *contractFixture) exchange {
		u, password := f.newUser(t, "author")
		return exchange{method: "POST", path: "/api/v1/auth/password", token: f.tokens(t, u.Email, password).AccessToken,
			body: map[string]string{"current_password": password, "new_password": "a new password 456"}}
	}
	wrongPassword := func(x *exchange) {
		b := x.body.(map[string]string)
		x.body = map[string]string{"email": b["email"], "password": "a wrong guess"}
	}
	wrongCurrent := func(x *exchange) {
		x.body = map[string]string{"current_password": "a wrong guess", "new_password": "a new password 456"}
	}
	// throttled makes five failures, then sends the good request.
	throttled := func(ok builder, fail func(*exchange), want int) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			x := ok(t, f)
			bad := x
			fail(&bad)
			for range 5 {
				f.call(t, bad, want)
			}
			return x
		}
	}
	return cases(
		one("login", 200, login),
		[]contractCase{{op: "login", status: 503, build: login, busy: true}},
		one("login", 401, with(login, wrongPassword)),
		one("login", 422, with(login, func(x *exchange) { x.body = map[string]string{"email": "someone@example.com"} })),
		one("login", 429, throttled(login, wrongPassword, http.StatusUnauthorized)),
		bodyCases("login", login),

		one("logout", 204, logout),
		[]contractCase{{op: "logout", status: 503, build: logout, busy: true}},
		one("logout", 422, with(logout, func(x *exchange) { x.body = map[string]string{} })),
		bodyCases("logout", logout),

		one("refreshTokens", 200, refresh),
		[]contractCase{{op: "refreshTokens", status: 503, build: refresh, busy: true}},
		one("refreshTokens", 401, with(refresh, func(x *exchange) { x.body = map[string]string{"refresh_token": "not-a-refresh-token"} })),
		one("refreshTokens", 422, with(refresh, func(x *exchange) { x.body = map[string]string{} })),
		bodyCases("refreshTokens", refresh),

		one("getCurrentUser", 200, func(_ *testing.T, f *contractFixture) exchange {
			return exchange{method: "GET", path: "/api/v1/auth/me", token: f.editor}
		}),
		one("getCurrentUser", 401, func(*testing.T, *contractFixture) exchange {
			return exchange{method: "GET", path: "/api/v1/auth/me"}
		}),

		writeCases("changePassword", 204, password),
		one("changePassword", 422, with(password, wrongCurrent)),
		one("changePassword", 429, throttled(password, wrongCurrent, http.StatusUnprocessableEntity)),
		bodyCases("changePassword", password),
	)
}

func userCases() []contractCase {
	list := func(_ *testing.T, f *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/users", token: f.admin}
	}
	create := func(t *testing.T, f *contractFixture) exchange {
		email := fmt.Sprintf("new%d@example.com", f.next())
		return exchange{method: "POST", path: "/api/v1/users", token: f.admin,
			body: map[string]string{"email": email, "name": "New One", "role": "author", "password": "password of " + email}}
	}
	user := func(method string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			u, _ := f.newUser(t, "author")
			rec := f.call(t, exchange{method: "GET", path: "/api/v1/users/" + u.ID, token: f.admin}, http.StatusOK)
			return exchange{method: method, path: "/api/v1/users/" + u.ID, token: f.admin, body: body,
				headers: []string{"If-Match", rec.Header().Get("ETag")}}
		}
	}
	get, update, del := user("GET", nil), user("PATCH", map[string]any{"name": "Renamed"}), user("DELETE", nil)
	missing := func(x *exchange) { x.path = "/api/v1/users/" + missingID }
	return cases(
		one("listUsers", 200, list),
		one("listUsers", 400, with(list, query("?limit=0"))),
		one("listUsers", 401, with(list, badToken)),
		one("listUsers", 403, as(list, editor)),

		writeCases("createUser", 201, create),
		bodyCases("createUser", create),
		one("createUser", 403, as(create, editor)),
		one("createUser", 409, with(create, func(x *exchange) {
			b := x.body.(map[string]string)
			b["email"] = "editor@example.com"
		})),
		one("createUser", 422, with(create, func(x *exchange) {
			x.body = map[string]string{"email": "nobody", "name": "", "role": "king", "password": "x"}
		})),

		one("getUser", 200, get),
		one("getUser", 401, with(get, badToken)),
		one("getUser", 403, as(get, editor)),
		one("getUser", 404, with(get, missing)),

		writeCases("updateUser", 200, update),
		bodyCases("updateUser", update),
		one("updateUser", 403, as(update, editor)),
		one("updateUser", 404, with(update, missing)),
		one("updateUser", 409, with(update, func(x *exchange) { x.body = map[string]any{"email": "editor@example.com"} })),
		one("updateUser", 412, with(update, stale)),
		one("updateUser", 422, with(update, func(x *exchange) { x.body = map[string]any{"role": "king"} })),

		writeCases("deleteUser", 204, del),
		one("deleteUser", 403, as(del, editor)),
		one("deleteUser", 404, with(del, missing)),
		one("deleteUser", 409, func(t *testing.T, f *contractFixture) exchange {
			u, password := f.newUser(t, "author")
			f.draft(t, f.tokens(t, u.Email, password).AccessToken)
			return exchange{method: "DELETE", path: "/api/v1/users/" + u.ID, token: f.admin}
		}),
		one("deleteUser", 412, with(del, stale)),
	)
}

func itemCases() []contractCase {
	list := func(*testing.T, *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/items?type=news"}
	}
	create := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "POST", path: "/api/v1/items", token: f.author,
			body: map[string]any{"type": "news", "title": fmt.Sprintf("New item %d", f.next()), "body": "Some *Markdown*."}}
	}
	get := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/items/" + f.published(t).ID}
	}
	bySlug := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/types/news/items/" + f.published(t).Slug}
	}
	// own: a write by the author on their own draft; others: by the author on the editor's
	// published item, which they may see but not change.
	own := func(method, suffix string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			it := f.draft(t, f.author)
			return exchange{method: method, path: "/api/v1/items/" + it.ID + suffix, token: f.author, body: body, headers: []string{"If-Match", etag(it.Version)}}
		}
	}
	others := func(method, suffix string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			it := f.published(t)
			return exchange{method: method, path: "/api/v1/items/" + it.ID + suffix, token: f.author, body: body, headers: []string{"If-Match", etag(it.Version)}}
		}
	}
	// editorOn: the editor acting on an item that make returns.
	editorOn := func(make func(*testing.T, *contractFixture) Item, method, suffix string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			it := make(t, f)
			return exchange{method: method, path: "/api/v1/items/" + it.ID + suffix, token: f.editor, body: body, headers: []string{"If-Match", etag(it.Version)}}
		}
	}
	draft := func(t *testing.T, f *contractFixture) Item { return f.draft(t, f.editor) }
	published := func(t *testing.T, f *contractFixture) Item { return f.published(t) }
	trashed := func(t *testing.T, f *contractFixture) Item { return f.trashed(t) }
	missing := missingItem

	update := own("PATCH", "", map[string]any{"title": "A new title"})
	trash := own("DELETE", "", nil)
	publish := editorOn(draft, "POST", "/publish", map[string]any{})
	unpublish := editorOn(published, "POST", "/unpublish", nil)
	restore := editorOn(trashed, "POST", "/restore", nil)
	notEmpty := func(x *exchange) { x.body = map[string]any{"note": "x"} }

	return cases(
		readCases("listItems", list),
		one("listItems", 400, with(list, query("&limit=0"))),

		readCases("getItem", get),
		one("getItem", 404, with(get, missing)),
		readCases("getItemBySlug", bySlug),
		one("getItemBySlug", 404, with(bySlug, func(x *exchange) { x.path = "/api/v1/types/news/items/no-such-item" })),

		writeCases("createItem", 201, create),
		bodyCases("createItem", create),
		one("createItem", 409, func(t *testing.T, f *contractFixture) exchange {
			x := create(t, f)
			x.body.(map[string]any)["slug"] = f.draft(t, f.author).Slug
			return x
		}),
		one("createItem", 422, with(create, func(x *exchange) { x.body = map[string]any{"type": "nope", "title": "Typeless"} })),

		writeCases("updateItem", 200, update),
		bodyCases("updateItem", update),
		one("updateItem", 403, others("PATCH", "", map[string]any{"title": "Not mine"})),
		one("updateItem", 404, with(update, missing)),
		one("updateItem", 409, func(t *testing.T, f *contractFixture) exchange {
			x := update(t, f)
			x.body = map[string]any{"slug": f.draft(t, f.author).Slug}
			return x
		}),
		one("updateItem", 412, with(update, stale)),
		one("updateItem", 422, with(update, func(x *exchange) { x.body = map[string]any{"title": ""} })),
		one("updateItem", 428, with(update, unconditional)),

		writeCases("trashItem", 204, trash),
		one("trashItem", 403, others("DELETE", "", nil)),
		one("trashItem", 404, with(trash, missing)),
		one("trashItem", 409, editorOn(trashed, "DELETE", "", nil)),
		one("trashItem", 412, with(trash, stale)),
		one("trashItem", 428, with(trash, unconditional)),

		writeCases("publishItem", 200, publish),
		bodyCases("publishItem", publish),
		one("publishItem", 403, own("POST", "/publish", map[string]any{})),
		one("publishItem", 404, with(publish, missing)),
		one("publishItem", 409, editorOn(trashed, "POST", "/publish", map[string]any{})),
		one("publishItem", 412, with(publish, stale)),
		one("publishItem", 422, with(publish, func(x *exchange) {
			x.body = map[string]any{"published_at": "2026-01-02T00:00:00Z", "unpublish_at": "2026-01-01T00:00:00Z"}
		})),
		one("publishItem", 428, with(publish, unconditional)),

		writeCases("unpublishItem", 200, unpublish),
		one("unpublishItem", 400, with(unpublish, notEmpty)),
		one("unpublishItem", 403, others("POST", "/unpublish", nil)),
		one("unpublishItem", 404, with(unpublish, missing)),
		one("unpublishItem", 409, editorOn(trashed, "POST", "/unpublish", nil)),
		one("unpublishItem", 412, with(unpublish, stale)),
		one("unpublishItem", 428, with(unpublish, unconditional)),

		writeCases("restoreItem", 200, restore),
		one("restoreItem", 400, with(restore, notEmpty)),
		one("restoreItem", 403, func(t *testing.T, f *contractFixture) exchange {
			// The author's own item, but published (by the editor) before it went to the trash:
			// they see it, and only editors change published items.
			it := f.itemAction(t, f.draft(t, f.author), "publish")
			rec := f.call(t, exchange{method: "DELETE", path: "/api/v1/items/" + it.ID, token: f.editor, headers: []string{"If-Match", etag(it.Version)}}, http.StatusNoContent)
			return exchange{method: "POST", path: "/api/v1/items/" + it.ID + "/restore", token: f.author, headers: []string{"If-Match", rec.Header().Get("ETag")}}
		}),
		one("restoreItem", 404, with(restore, missing)),
		one("restoreItem", 409, editorOn(draft, "POST", "/restore", nil)),
		one("restoreItem", 412, with(restore, stale)),
		one("restoreItem", 428, with(restore, unconditional)),
	)
}

func revisionCases() []contractCase {
	edited := func(t *testing.T, f *contractFixture) Item { return f.edited(t) }
	on := func(suffix string, who func(*contractFixture) string, method string) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			it := edited(t, f)
			x := exchange{method: method, path: "/api/v1/items/" + it.ID + suffix, token: who(f)}
			if method == "POST" {
				x.headers = []string{"If-Match", etag(it.Version)}
			}
			return x
		}
	}
	list, get, restore := on("/revisions", editor, "GET"), on("/revisions/1", editor, "GET"), on("/revisions/1/restore", editor, "POST")
	// The author sees the editor's published item, not its history.
	publishedBy := func(suffix, method string) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			it := f.published(t)
			return exchange{method: method, path: "/api/v1/items/" + it.ID + suffix, token: f.author, headers: []string{"If-Match", etag(it.Version)}}
		}
	}
	noVersion := func(x *exchange) { x.path = strings.Replace(x.path, "/revisions/1", "/revisions/99", 1) }
	missing := missingItem
	return cases(
		one("listRevisions", 200, list),
		one("listRevisions", 400, with(list, query("?limit=0"))),
		one("listRevisions", 401, with(list, badToken)),
		one("listRevisions", 403, publishedBy("/revisions", "GET")),
		one("listRevisions", 404, with(list, missing)),

		one("getRevision", 200, get),
		one("getRevision", 401, with(get, badToken)),
		one("getRevision", 403, publishedBy("/revisions/1", "GET")),
		one("getRevision", 404, with(get, noVersion)),

		writeCases("restoreRevision", 200, restore),
		one("restoreRevision", 400, with(restore, func(x *exchange) { x.body = map[string]any{"note": "x"} })),
		one("restoreRevision", 403, publishedBy("/revisions/1/restore", "POST")),
		one("restoreRevision", 404, with(restore, noVersion)),
		one("restoreRevision", 409, func(t *testing.T, f *contractFixture) exchange {
			it := f.edited(t)
			rec := f.call(t, exchange{method: "DELETE", path: "/api/v1/items/" + it.ID, token: f.editor, headers: []string{"If-Match", etag(it.Version)}}, http.StatusNoContent)
			return exchange{method: "POST", path: "/api/v1/items/" + it.ID + "/revisions/1/restore", token: f.editor, headers: []string{"If-Match", rec.Header().Get("ETag")}}
		}),
		one("restoreRevision", 412, with(restore, stale)),
		one("restoreRevision", 422, func(t *testing.T, f *contractFixture) exchange {
			// Revision 1 carries a tag that is deleted after revision 2 took it off.
			tag := f.newTag(t)
			it := f.draft(t, f.editor, "tags", []string{tag.Slug})
			it = decode[Item](t, f.call(t, exchange{method: "PATCH", path: "/api/v1/items/" + it.ID, token: f.editor,
				body: map[string]any{"tags": []string{}}, headers: []string{"If-Match", etag(it.Version)}}, http.StatusOK))
			f.call(t, exchange{method: "DELETE", path: "/api/v1/tags/" + tag.Slug, token: f.editor}, http.StatusNoContent)
			return exchange{method: "POST", path: "/api/v1/items/" + it.ID + "/revisions/1/restore", token: f.editor, headers: []string{"If-Match", etag(it.Version)}}
		}),
		one("restoreRevision", 428, with(restore, unconditional)),
	)
}

func typeCases() []contractCase {
	list := func(*testing.T, *contractFixture) exchange { return exchange{method: "GET", path: "/api/v1/types"} }
	get := func(*testing.T, *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/types/event"}
	}
	create := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "POST", path: "/api/v1/types", token: f.admin, body: map[string]any{
			"key": fmt.Sprintf("report%d", f.next()), "name": "Report", "fields": []map[string]any{{"name": "pages", "kind": "integer"}}}}
	}
	update := func(t *testing.T, f *contractFixture) exchange {
		ty := f.newType(t)
		return exchange{method: "PUT", path: "/api/v1/types/" + ty.Key, token: f.admin, headers: []string{"If-Match", etag(ty.Version)},
			body: map[string]any{"name": "Renamed", "fields": []map[string]any{{"name": "pages", "kind": "integer"}}}}
	}
	del := func(t *testing.T, f *contractFixture) exchange {
		ty := f.newType(t)
		return exchange{method: "DELETE", path: "/api/v1/types/" + ty.Key, token: f.admin, headers: []string{"If-Match", etag(ty.Version)}}
	}
	// used is a type with a field that an item fills in.
	used := func(t *testing.T, f *contractFixture) ContentType {
		ty := f.newType(t, map[string]any{"name": "pages", "kind": "integer"})
		f.call(t, exchange{method: "POST", path: "/api/v1/items", token: f.editor,
			body: map[string]any{"type": ty.Key, "title": "Used", "fields": map[string]any{"pages": 3}}}, http.StatusCreated)
		return ty
	}
	missing := func(x *exchange) { x.path = "/api/v1/types/nosuchtype" }
	return cases(
		readCases("listTypes", list),
		one("listTypes", 400, with(list, query("?limit=0"))),
		readCases("getType", get),
		one("getType", 400, with(get, query("?unknown=1"))),
		one("getType", 404, with(get, missing)),

		writeCases("createType", 201, create),
		bodyCases("createType", create),
		one("createType", 403, as(create, editor)),
		one("createType", 409, with(create, func(x *exchange) { x.body = map[string]any{"key": "news", "name": "News"} })),
		one("createType", 422, with(create, func(x *exchange) { x.body = map[string]any{"key": "Bad Key", "name": ""} })),

		writeCases("updateType", 200, update),
		bodyCases("updateType", update),
		one("updateType", 403, as(update, editor)),
		one("updateType", 404, with(update, missing)),
		one("updateType", 409, func(t *testing.T, f *contractFixture) exchange {
			ty := used(t, f)
			return exchange{method: "PUT", path: "/api/v1/types/" + ty.Key, token: f.admin, body: map[string]any{"name": "Kind", "fields": []any{}}}
		}),
		one("updateType", 412, with(update, stale)),
		one("updateType", 422, with(update, func(x *exchange) { x.body = map[string]any{"name": "", "fields": []any{}} })),

		writeCases("deleteType", 204, del),
		one("deleteType", 403, as(del, editor)),
		one("deleteType", 404, with(del, missing)),
		one("deleteType", 409, func(t *testing.T, f *contractFixture) exchange {
			return exchange{method: "DELETE", path: "/api/v1/types/" + used(t, f).Key, token: f.admin}
		}),
		one("deleteType", 412, with(del, stale)),
	)
}

func tagCases() []contractCase {
	list := func(*testing.T, *contractFixture) exchange { return exchange{method: "GET", path: "/api/v1/tags"} }
	get := func(*testing.T, *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/tags/cooperatives"}
	}
	create := func(t *testing.T, f *contractFixture) exchange {
		slug := fmt.Sprintf("new-tag-%d", f.next())
		return exchange{method: "POST", path: "/api/v1/tags", token: f.editor, body: map[string]any{"slug": slug, "name": "New tag", "group": "topic"}}
	}
	onTag := func(method string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			tag := f.newTag(t)
			return exchange{method: method, path: "/api/v1/tags/" + tag.Slug, token: f.editor, body: body, headers: []string{"If-Match", etag(tag.Version)}}
		}
	}
	update, del := onTag("PATCH", map[string]any{"name": "Renamed"}), onTag("DELETE", nil)
	missing := func(x *exchange) { x.path = "/api/v1/tags/no-such-tag" }
	return cases(
		readCases("listTags", list),
		one("listTags", 400, with(list, query("?limit=0"))),
		readCases("getTag", get),
		one("getTag", 400, with(get, query("?unknown=1"))),
		one("getTag", 404, with(get, missing)),

		writeCases("createTag", 201, create),
		bodyCases("createTag", create),
		one("createTag", 403, as(create, author)),
		one("createTag", 409, with(create, func(x *exchange) { x.body = map[string]any{"slug": "cooperatives", "name": "Again"} })),
		one("createTag", 422, with(create, func(x *exchange) { x.body = map[string]any{"slug": "Not A Slug", "name": ""} })),

		writeCases("updateTag", 200, update),
		bodyCases("updateTag", update),
		one("updateTag", 403, as(update, author)),
		one("updateTag", 404, with(update, missing)),
		one("updateTag", 409, with(update, func(x *exchange) { x.body = map[string]any{"slug": "cooperatives"} })),
		one("updateTag", 412, with(update, stale)),
		one("updateTag", 422, with(update, func(x *exchange) { x.body = map[string]any{"name": ""} })),

		writeCases("deleteTag", 204, del),
		one("deleteTag", 400, with(del, query("?detach=maybe"))),
		one("deleteTag", 403, as(del, author)),
		one("deleteTag", 404, with(del, missing)),
		one("deleteTag", 409, func(t *testing.T, f *contractFixture) exchange {
			tag := f.newTag(t)
			f.draft(t, f.editor, "tags", []string{tag.Slug})
			return exchange{method: "DELETE", path: "/api/v1/tags/" + tag.Slug, token: f.editor}
		}),
		one("deleteTag", 412, with(del, stale)),
	)
}

func collectionCases() []contractCase {
	list := func(*testing.T, *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/collections"}
	}
	get := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "GET", path: "/api/v1/collections/" + f.newCollection(t).Key}
	}
	items := func(t *testing.T, f *contractFixture) exchange {
		f.published(t)
		return exchange{method: "GET", path: "/api/v1/collections/" + f.newCollection(t).Key + "/items"}
	}
	create := func(t *testing.T, f *contractFixture) exchange {
		return exchange{method: "POST", path: "/api/v1/collections", token: f.editor, body: map[string]any{
			"key": fmt.Sprintf("new-collection-%d", f.next()), "title": "News", "filter": map[string]any{"types": []string{"news"}}, "sort": "-published_at"}}
	}
	onCollection := func(method string, body any) builder {
		return func(t *testing.T, f *contractFixture) exchange {
			col := f.newCollection(t)
			return exchange{method: method, path: "/api/v1/collections/" + col.Key, token: f.editor, body: body, headers: []string{"If-Match", etag(col.Version)}}
		}
	}
	update, del := onCollection("PATCH", map[string]any{"title": "Renamed"}), onCollection("DELETE", nil)
	missing := func(x *exchange) {
		x.path = strings.Replace(x.path, x.path[len("/api/v1/collections/"):], "no-such-collection", 1)
	}
	return cases(
		readCases("listCollections", list),
		one("listCollections", 400, with(list, query("?limit=0"))),
		readCases("getCollection", get),
		one("getCollection", 400, with(get, query("?unknown=1"))),
		one("getCollection", 404, with(get, missing)),

		// The collection's items: a public read without credentials at all.
		one("listCollectionItems", 200, items),
		one("listCollectionItems", 304, func(t *testing.T, f *contractFixture) exchange { return f.revalidate(t, items(t, f)) }),
		one("listCollectionItems", 400, with(items, query("?limit=0"))),
		one("listCollectionItems", 404, func(*testing.T, *contractFixture) exchange {
			return exchange{method: "GET", path: "/api/v1/collections/no-such-collection/items"}
		}),

		writeCases("createCollection", 201, create),
		bodyCases("createCollection", create),
		one("createCollection", 403, as(create, author)),
		one("createCollection", 409, func(t *testing.T, f *contractFixture) exchange {
			x := create(t, f)
			x.body.(map[string]any)["key"] = f.newCollection(t).Key
			return x
		}),
		one("createCollection", 422, with(create, func(x *exchange) {
			x.body = map[string]any{"key": "fine-key", "title": "T", "filter": map[string]any{"types": []string{"nope"}}}
		})),

		writeCases("updateCollection", 200, update),
		bodyCases("updateCollection", update),
		one("updateCollection", 403, as(update, author)),
		one("updateCollection", 404, with(update, missing)),
		one("updateCollection", 412, with(update, stale)),
		one("updateCollection", 422, with(update, func(x *exchange) { x.body = map[string]any{"title": ""} })),

		writeCases("deleteCollection", 204, del),
		one("deleteCollection", 403, as(del, author)),
		one("deleteCollection", 404, with(del, missing)),
		one("deleteCollection", 412, with(del, stale)),
	)
}
