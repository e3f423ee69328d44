package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	folio "github.com/foliocms/folio/api/client"
	"github.com/oapi-codegen/nullable"
)

// TestGeneratedClient is what an integrator's code does with the generated Go client, against
// the real server over HTTP: log in, define a type, write an item, lose a race with a stale
// ETag, publish, read it back the public way, and keep a session alive by refreshing. Only the
// client talks to the server, so a document that drifts from the server fails here.
func TestGeneratedClient(t *testing.T) {
	const email, password = "integrator@example.com", "a passphrase for the client test"
	base, _ := startServer(t, "FOLIO_ADMIN_EMAIL", email, "FOLIO_ADMIN_PASSWORD", password)
	ctx := t.Context()
	cms, err := folio.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}

	login, err := cms.LoginWithResponse(ctx, folio.LoginRequest{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if login.StatusCode() != http.StatusOK || login.JSON200 == nil {
		t.Fatalf("login = %s %s", login.Status(), login.Body)
	}
	tokens := *login.JSON200
	if tokens.TokenType != folio.TokensTokenTypeBearer || tokens.AccessToken == "" || tokens.RefreshToken == "" {
		t.Fatalf("login tokens = %+v, want a Bearer access token and a refresh token", tokens)
	}
	auth := bearer(tokens.AccessToken)

	newType, err := cms.CreateTypeWithResponse(ctx, folio.NewContentType{
		Key:  "release",
		Name: "Release",
		Fields: &[]folio.FieldDefinition{
			{Name: "tag", Kind: folio.FieldDefinitionKindText, Required: ptr(true)},
		},
	}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if newType.StatusCode() != http.StatusCreated || newType.JSON201 == nil || newType.JSON201.Key != "release" {
		t.Fatalf("create type = %s %s", newType.Status(), newType.Body)
	}

	created, err := cms.CreateItemWithResponse(ctx, folio.NewItem{
		Type:   "release",
		Title:  "Folio 1.0 is out",
		Body:   ptr("Folio 1.0 is **out**."),
		Fields: &map[string]any{"tag": "v1.0.0"},
	}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if created.StatusCode() != http.StatusCreated || created.JSON201 == nil {
		t.Fatalf("create item = %s %s", created.Status(), created.Body)
	}
	item := *created.JSON201
	if item.Slug != "folio-1-0-is-out" || item.Status != folio.ItemStatusDraft || item.Version != 1 || item.Fields["tag"] != "v1.0.0" {
		t.Errorf("created item = slug %q, status %q, version %d, fields %v; want folio-1-0-is-out, draft, 1, tag v1.0.0",
			item.Slug, item.Status, item.Version, item.Fields)
	}
	if loc := created.Headers201.Location; loc == nil || !strings.HasSuffix(*loc, "/api/v1/items/"+item.ID.String()) {
		t.Errorf("create item Location = %v, want the item's URL", loc)
	}
	firstETag := etag(t, "create item", created.Headers201.ETag)

	// Each write sends the ETag it last saw; the answer carries the next one.
	edited, err := cms.UpdateItemWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, item.ID,
		&folio.UpdateItemParams{IfMatch: firstETag}, folio.ItemPatch{Summary: nullable.NewNullableWithValue("What is new in 1.0.")}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if edited.StatusCode() != http.StatusOK || edited.JSON200 == nil {
		t.Fatalf("edit item = %s %s", edited.Status(), edited.Body)
	}
	if summary, _ := edited.JSON200.Summary.Get(); edited.JSON200.Version != 2 || summary != "What is new in 1.0." {
		t.Errorf("edited item = version %d, summary %q; want 2 and the new summary", edited.JSON200.Version, summary)
	}
	secondETag := etag(t, "edit item", edited.Headers200.ETag)
	if secondETag == firstETag {
		t.Errorf("the edit kept the ETag %s, want a new one", firstETag)
	}

	// A second editor still holding the first ETag loses, and learns the current one.
	stale, err := cms.UpdateItemWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, item.ID,
		&folio.UpdateItemParams{IfMatch: firstETag}, folio.ItemPatch{Title: ptr("Folio 1.0 has landed")}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if stale.StatusCode() != http.StatusPreconditionFailed || stale.ApplicationProblemJSON412 == nil {
		t.Fatalf("edit with a stale ETag = %s %s, want 412 with a problem", stale.Status(), stale.Body)
	}
	if problem := stale.ApplicationProblemJSON412; problem.Status != http.StatusPreconditionFailed || problem.Title == "" || problem.Type == "" {
		t.Errorf("412 problem = %+v, want status 412, a type and a title", problem)
	}
	if ct := stale.ContentType(); ct != "application/problem+json" {
		t.Errorf("412 Content-Type = %q, want application/problem+json", ct)
	}
	if current := stale.Headers412.ETag; current == nil || *current != secondETag {
		t.Errorf("412 ETag = %v, want the current one, %s", current, secondETag)
	}

	published, err := cms.PublishItemWithResponse(ctx, item.ID,
		&folio.PublishItemParams{IfMatch: secondETag}, folio.PublishRequest{}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if published.StatusCode() != http.StatusOK || published.JSON200 == nil {
		t.Fatalf("publish = %s %s", published.Status(), published.Body)
	}
	p := published.JSON200
	if at, _ := p.PublishedAt.Get(); p.Status != folio.ItemStatusPublished || time.Since(at) > time.Minute || p.Version != 3 || p.Title != "Folio 1.0 is out" {
		t.Errorf("published item = status %q, published_at %v, version %d, title %q; want published, now, 3, the unchanged title",
			p.Status, at, p.Version, p.Title)
	}

	// Readers need no credentials for public content.
	list, err := cms.ListItemsWithResponse(ctx, &folio.ListItemsParams{Type: ptr("release")})
	if err != nil {
		t.Fatal(err)
	}
	if list.StatusCode() != http.StatusOK || list.JSON200 == nil {
		t.Fatalf("list items = %s %s", list.Status(), list.Body)
	}
	if got := list.JSON200.Data; len(got) != 1 || got[0].ID != item.ID {
		t.Errorf("list of releases = %d items, want exactly the published one, %s", len(got), item.ID)
	}

	bySlug, err := cms.GetItemBySlugWithResponse(ctx, "release", item.Slug, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bySlug.StatusCode() != http.StatusOK || bySlug.JSON200 == nil {
		t.Fatalf("get by slug = %s %s", bySlug.Status(), bySlug.Body)
	}
	if got := bySlug.JSON200; got.ID != item.ID || got.Version != 3 || got.BodyHTML != "<p>Folio 1.0 is <strong>out</strong>.</p>\n" {
		t.Errorf("item by slug = id %s, version %d, body_html %q; want %s, 3 and the rendered Markdown", got.ID, got.Version, got.BodyHTML, item.ID)
	}
	if cc := bySlug.HTTPResponse.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("anonymous read Cache-Control = %q, want public", cc)
	}

	// Refresh tokens rotate: the new pair works, the old refresh token is spent, and presenting
	// it again is taken for theft and ends the session, the new access token included.
	refreshed, err := cms.RefreshTokensWithResponse(ctx, folio.RefreshRequest{RefreshToken: tokens.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.StatusCode() != http.StatusOK || refreshed.JSON200 == nil {
		t.Fatalf("refresh = %s %s", refreshed.Status(), refreshed.Body)
	}
	if refreshed.JSON200.RefreshToken == tokens.RefreshToken {
		t.Error("refresh returned the same refresh token, want a new one")
	}
	newAuth := bearer(refreshed.JSON200.AccessToken)
	me, err := cms.GetCurrentUserWithResponse(ctx, newAuth)
	if err != nil {
		t.Fatal(err)
	}
	if me.StatusCode() != http.StatusOK || me.JSON200 == nil || string(me.JSON200.Email) != email || me.JSON200.Role != folio.UserRoleAdmin {
		t.Fatalf("me with the refreshed access token = %s %s, want the admin", me.Status(), me.Body)
	}

	reused, err := cms.RefreshTokensWithResponse(ctx, folio.RefreshRequest{RefreshToken: tokens.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if reused.StatusCode() != http.StatusUnauthorized || reused.ApplicationProblemJSON401 == nil {
		t.Errorf("refresh with the spent token = %s %s, want 401 with a problem", reused.Status(), reused.Body)
	}
	after, err := cms.GetCurrentUserWithResponse(ctx, newAuth)
	if err != nil {
		t.Fatal(err)
	}
	if after.StatusCode() != http.StatusUnauthorized {
		t.Errorf("me after the spent refresh token's reuse = %s, want 401", after.Status())
	}
}

// bearer sends an access token with a request, as every authenticated call needs.
func bearer(token string) folio.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// etag returns the ETag a write answered with, failing the test when there is none.
func etag(t *testing.T, what string, v *string) string {
	t.Helper()
	if v == nil || *v == "" {
		t.Fatalf("%s: no ETag", what)
	}
	return *v
}

func ptr[T any](v T) *T { return &v }
