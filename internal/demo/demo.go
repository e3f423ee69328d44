// Package demo loads the demo content: the listing page "ILO's work on cooperatives in Asia and
// the Pacific", its ten items (titles, types and dates as on the page; summaries and bodies
// written for Folio), their tags, and the collection that reproduces the page.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/foliocms/folio/internal/content"
)

// CollectionKey is the key of the demo's collection.
const CollectionKey = "ilo-coop-asia-pacific"

type tag struct{ slug, name, group string }

var tags = []tag{
	{"cooperatives", "Cooperatives", "topic"},
	{"social-and-solidarity-economy", "Social and solidarity economy", "topic"},
	{"covid-19", "COVID-19", "topic"},
	{"gender-equality", "Gender equality", "topic"},
	{"climate-action", "Climate action", "topic"},
	{"youth", "Youth", "topic"},
	{"asia-and-the-pacific", "Asia and the Pacific", "region"},
	{"republic-of-korea", "Republic of Korea", "country"},
	{"india", "India", "country"},
	{"australia", "Australia", "country"},
	{"timor-leste", "Timor-Leste", "country"},
	{"ilo-coop-100", "ILO COOP 100", "series"},
}

type item struct {
	typ, title, summary, body string
	published                 string // RFC 3339; items that share a date get times that keep the page's order
	tags                      []string
	fields                    map[string]any
}

// items are the page's items, in the page's order; the first, the event, is pinned.
var items = []item{
	{
		typ:       "event",
		title:     "ILO COOP 100 Webinar III - Cooperatives for Climate Action on the occasion of the 2020 International Day of Cooperatives",
		summary:   "The third webinar marking a century of the ILO's work with cooperatives looks at how cooperatives act on climate change, this year's theme of the International Day of Cooperatives.",
		body:      "## About the webinar\n\nHeld the day before the International Day of Cooperatives, this third session of the ILO COOP 100 series takes up the Day's 2020 theme, *Cooperatives for Climate Action*.\n\nPractitioners from the region show how their members cut emissions, adapt to a changing climate and support a fair transition for workers and their communities.",
		published: "2020-06-24T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "climate-action", "ilo-coop-100"},
		fields:    map[string]any{"starts_at": "2020-07-03T08:00:00Z", "ends_at": "2020-07-03T09:30:00Z", "online": true, "location": "Online"},
	},
	{
		typ:       "interview",
		title:     "Interview with Stirling Smith, SYNDICOOP project",
		summary:   "The ILO's Cooperatives Unit turns a hundred in 2020. In this series, people who shaped its work look back on what they did and ahead at cooperatives and the social and solidarity economy in a changing world of work.",
		body:      "Stirling Smith worked on SYNDICOOP, a joint effort of trade unions and cooperatives to reach workers in the informal economy.\n\nHe recalls how the project began, what it taught about organising workers without protection, and why unions and cooperatives still have much to gain from working together.",
		published: "2020-05-15T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "social-and-solidarity-economy", "ilo-coop-100"},
		fields:    map[string]any{"interviewee": "Stirling Smith", "interviewee_role": "SYNDICOOP project", "series": "ILO COOP 100"},
	},
	{
		typ:       "news",
		title:     "ILO COOP 100 Webinar II - Advancing gender equality though cooperatives",
		summary:   "Four practitioners discussed where the cooperative movement stands on gender equality, what cooperatives can do about it, and how COVID-19 is affecting women members. More than 160 people took part.",
		body:      "The second ILO COOP 100 webinar brought together four people who work with cooperatives every day.\n\nThey described the obstacles women still meet in cooperatives, the practices that help, and the first answers to the pandemic's effect on women's work and income.",
		published: "2020-04-28T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "gender-equality", "covid-19", "ilo-coop-100"},
	},
	{
		typ:       "article",
		title:     "Policy response to COVID-19 for SSE enterprises in the Republic of Korea",
		summary:   "Korea's government moved quickly to support social and solidarity economy enterprises hit by the pandemic.",
		body:      "A look at what the Korean Government did for social and solidarity economy enterprises in the first weeks of the COVID-19 crisis: financial support, public purchasing, and help to keep their workers employed.",
		published: "2020-04-24T12:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "social-and-solidarity-economy", "covid-19", "republic-of-korea"},
	},
	{
		typ:       "news",
		title:     "Cooperatives and wider SSE enterprises respond to COVID-19 disruptions, and government measures are being put in place",
		summary:   "Everywhere, cooperatives and other SSE enterprises are both hit by the pandemic and helping to answer it, and some governments now count on them in their emergency plans.",
		body:      "A round-up of how cooperatives and social and solidarity economy enterprises are coping with COVID-19 while supporting their members and communities, and of the first government measures that take them into account.",
		published: "2020-04-24T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "social-and-solidarity-economy", "covid-19"},
	},
	{
		typ:       "news",
		title:     "COVID-19 Response: SEWA Cooperative Federation on health, livelihood and social protection strategies for immediate and long-term relief among informal women workers",
		body:      "The SEWA Cooperative Federation explains how it helps women in the informal economy through the crisis: health information, ways to keep earning, and access to social protection, now and for the longer term.",
		published: "2020-03-29T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "covid-19", "gender-equality", "india"},
	},
	{
		typ:       "news",
		title:     "ILO contributes to the Global Youth Forum Cooperative Entrepreneurship through a video message",
		summary:   "In a video message, the head of the ILO's Cooperatives Unit spoke about youth employment and how cooperatives can open decent work to young people.",
		body:      "Young people face hard times finding work. The message set out how cooperatives can create jobs for them and improve the conditions they work in.",
		published: "2020-02-10T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "youth"},
	},
	{
		typ:       "news",
		title:     "Australian cooperatives and mutuals step up to support the bushfire affected communities",
		summary:   "The Business Council of Co-operatives and Mutuals told ILO COOP how its members are helping communities recover from the bushfires.",
		body:      "While the fires were still burning, cooperatives and mutuals in Australia raised funds, eased payments for their members and helped rebuild. Their council shared what they have done so far.",
		published: "2020-01-22T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "australia"},
	},
	{
		typ:       "news",
		title:     "Strengthening cooperatives towards socio-economic development in Timor-Leste",
		summary:   "A workshop with members of a union-backed cooperative covered starting cooperatives around what a community needs and putting cooperative principles to work.",
		body:      "The ILO ran the training with a cooperative that a trade union supports. Participants worked through how to found a cooperative on real community needs and how its principles guide everyday decisions.",
		published: "2020-01-21T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "timor-leste"},
	},
	{
		typ:       "news",
		title:     "Indian women co-operators are being trained to roll out Think.Coop",
		summary:   "The Indian Academy of Self-Employed Women trained facilitators in Think.Coop, the ILO's training tool, so that more women cooperative entrepreneurs in rural and informal work can use it.",
		body:      "Think.Coop is a short, hands-on course for people thinking of starting or joining a cooperative. The newly trained facilitators will take it to women entrepreneurs across the country.",
		published: "2019-12-17T09:00:00Z",
		tags:      []string{"cooperatives", "asia-and-the-pacific", "gender-equality", "india"},
	},
}

// Load writes the demo content, authored by a, into a database that has no items. It returns
// false without writing anything when items exist.
func Load(ctx context.Context, store *content.Store, a *content.Actor) (bool, error) {
	n, err := store.CountItems(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	// A database without items may still have tags, or the collection: the demo reuses them.
	for _, t := range tags {
		group := t.group
		if _, err := store.CreateTag(ctx, t.slug, t.name, &group); err != nil && !errors.Is(err, content.ErrTagExists) {
			return false, fmt.Errorf("demo tag %s: %w", t.slug, err)
		}
	}
	var pinned []string
	for i, d := range items {
		in := content.NewItem{Type: d.typ, Title: d.title, Body: d.body, Tags: d.tags}
		if d.summary != "" {
			in.Summary = &d.summary
		}
		if d.fields != nil {
			b, err := json.Marshal(d.fields)
			if err != nil {
				return false, err
			}
			in.Fields = b
		}
		it, err := store.CreateItem(ctx, a, in)
		if err != nil {
			return false, fmt.Errorf("demo item %d: %w", i+1, err)
		}
		at, err := time.Parse(time.RFC3339, d.published)
		if err != nil {
			return false, err
		}
		if _, err := store.PublishItem(ctx, a, it.ID, []int64{it.Version}, &at, content.Optional[time.Time]{}); err != nil {
			return false, fmt.Errorf("publish demo item %d: %w", i+1, err)
		}
		if i == 0 {
			pinned = append(pinned, it.ID)
		}
	}
	title, sort := "ILO's work on cooperatives in Asia and the Pacific", "-published_at"
	description := "The ILO's news, articles, interviews and events about cooperatives in Asia and the Pacific, newest first, with the next event on top."
	in := content.CollectionInput{
		Title: &title, Description: &description, Sort: &sort, Pinned: &pinned,
		Filter: &content.CollectionFilter{Tags: []string{"cooperatives", "asia-and-the-pacific"}},
	}
	_, err = store.CreateCollection(ctx, CollectionKey, in)
	if errors.Is(err, content.ErrCollectionExists) {
		_, err = store.UpdateCollection(ctx, CollectionKey, nil, in)
	}
	if err != nil {
		return false, fmt.Errorf("demo collection: %w", err)
	}
	return true, nil
}
