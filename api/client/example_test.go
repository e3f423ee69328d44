package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/foliocms/folio/api/client"
)

// The README shows this code. A call returns an error only when the exchange itself fails; a
// refusal comes back as a response with its status and problem+json body (decoded into the
// field for that status: ApplicationProblemJSON422 and so on).
func Example() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://localhost:8080")
	if err != nil {
		log.Fatal(err)
	}
	login, err := c.LoginWithResponse(ctx, client.LoginRequest{Email: "admin@example.com", Password: os.Getenv("FOLIO_PASSWORD")})
	if err != nil {
		log.Fatal(err)
	}
	if login.JSON200 == nil {
		log.Fatalf("login: %s %s", login.Status(), login.Body) // the body is a problem+json
	}
	bearer := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+login.JSON200.AccessToken)
		return nil
	}
	draft, err := c.CreateItemWithResponse(ctx, client.NewItem{Type: "news", Title: "Cooperatives in Timor-Leste"}, bearer)
	if err != nil {
		log.Fatal(err)
	}
	if draft.JSON201 == nil {
		log.Fatalf("create: %s %s", draft.Status(), draft.Body)
	}
	fmt.Println(draft.JSON201.ID, draft.JSON201.Slug, *draft.Headers201.ETag)
}
