package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// corpusVersion names the generator in the names of cached corpora and databases: a change to
// what the generator writes must change it, or a kept corpus would no longer match its seed.
const corpusVersion = 1

// The four built-in types, in the proportions a news site might have them.
var itemTypes = []struct {
	key    string
	weight float64
}{{"news", 0.40}, {"article", 0.30}, {"event", 0.15}, {"interview", 0.15}}

// draftShare is the share of items left as drafts: invisible to the public reads.
const draftShare = 0.02

// publishedUntil ends the ten years over which items are published. It is fixed, not the
// time of the run, so that a seed always gives the same corpus and a kept one can be reused.
var publishedUntil = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

const publishedSpan = 10 * 365 * 24 * time.Hour

type tagRecord struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// corpusTags are the tags of every corpus, in the order of their popularity: a Zipf law over
// this list decides how often each is used, so a tag filter may match many items or few.
var corpusTags = []tagRecord{
	{"climate-action", "Climate action", "topic"},
	{"asia-and-the-pacific", "Asia and the Pacific", "region"},
	{"social-protection", "Social protection", "topic"},
	{"india", "India", "country"},
	{"youth-employment", "Youth employment", "topic"},
	{"africa", "Africa", "region"},
	{"cooperatives", "Cooperatives", "topic"},
	{"future-of-work", "Future of work", "series"},
	{"brazil", "Brazil", "country"},
	{"gender-equality", "Gender equality", "topic"},
	{"americas", "Americas", "region"},
	{"skills-and-training", "Skills and training", "topic"},
	{"indonesia", "Indonesia", "country"},
	{"labour-migration", "Labour migration", "topic"},
	{"europe-and-central-asia", "Europe and Central Asia", "region"},
	{"informal-economy", "Informal economy", "topic"},
	{"kenya", "Kenya", "country"},
	{"voices-from-the-field", "Voices from the field", "series"},
	{"child-labour", "Child labour", "topic"},
	{"arab-states", "Arab States", "region"},
	{"mexico", "Mexico", "country"},
	{"occupational-safety", "Occupational safety and health", "topic"},
	{"viet-nam", "Viet Nam", "country"},
	{"collective-bargaining", "Collective bargaining", "topic"},
	{"south-africa", "South Africa", "country"},
	{"global", "Global", "region"},
	{"minimum-wages", "Minimum wages", "topic"},
	{"philippines", "Philippines", "country"},
	{"green-jobs", "Green jobs", "topic"},
	{"data-explained", "Data explained", "series"},
	{"bangladesh", "Bangladesh", "country"},
	{"digital-platforms", "Digital platforms", "topic"},
	{"nigeria", "Nigeria", "country"},
	{"care-economy", "Care economy", "topic"},
	{"colombia", "Colombia", "country"},
	{"public-health", "Public health", "topic"},
	{"jordan", "Jordan", "country"},
	{"rural-development", "Rural development", "topic"},
	{"peru", "Peru", "country"},
	{"small-enterprises", "Small enterprises", "topic"},
	{"lebanon", "Lebanon", "country"},
	{"pensions", "Pensions", "topic"},
	{"turkiye", "Türkiye", "country"},
	{"disability-inclusion", "Disability inclusion", "topic"},
	{"ukraine", "Ukraine", "country"},
	{"germany", "Germany", "country"},
	{"france", "France", "country"},
	{"ilo-coop-100", "ILO COOP 100", "series"},
	{"australia", "Australia", "country"},
	{"timor-leste", "Timor-Leste", "country"},
}

// vocabularySize is the number of distinct words: enough for search terms that match nearly
// every item and terms that match a few in a thousand.
const vocabularySize = 5000

// zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) zipf {
	cdf := make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+1), s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return zipf{cdf: cdf}
}

func (z zipf) draw(r *rand.Rand) int {
	i, _ := slices.BinarySearch(z.cdf, r.Float64())
	return min(i, len(z.cdf)-1)
}

// corpus is the synthetic content of a run. Every item is a function of the seed and its index
// alone, so that any item can be built again (to know its slug, or to create more like it)
// without keeping the corpus in memory or reading it back.
type corpus struct {
	seed  uint64
	n     int
	words []string // by rank: the most frequent first
	word  zipf
	tag   zipf
}

func newCorpus(seed uint64, n int) *corpus {
	return &corpus{
		seed:  seed,
		n:     n,
		words: vocabulary(seed, vocabularySize),
		word:  newZipf(vocabularySize, 1.0),
		tag:   newZipf(len(corpusTags), 1.0),
	}
}

// vocabulary makes n distinct pronounceable words, the shorter ones first: as in real text,
// the most frequent words are the shortest.
func vocabulary(seed uint64, n int) []string {
	onsets := strings.Fields("b c d f g h j k l m n p r s t v w z br ch cl dr fl gr pl pr sh st th tr")
	vowels := strings.Fields("a e i o u a e i o ai ea ou io")
	codas := strings.Fields("n r s t l m nd rt st")
	r := rand.New(rand.NewPCG(seed, 0x766f636162))
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	for len(words) < n {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(vowels[r.IntN(len(vowels))])
		}
		if r.IntN(2) == 0 {
			b.WriteString(codas[r.IntN(len(codas))])
		}
		w := b.String()
		if len(w) < 3 || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	slices.SortStableFunc(words, func(a, b string) int { return len(a) - len(b) })
	return words
}

// itemRecord is an item as the import reads it.
type itemRecord struct {
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Slug        string         `json:"slug,omitempty"`
	Summary     string         `json:"summary,omitempty"`
	Body        string         `json:"body,omitempty"`
	Fields      map[string]any `json:"fields"`
	Tags        []string       `json:"tags"`
	Status      string         `json:"status,omitempty"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
}

// rng is item i's own random source.
func (c *corpus) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(c.seed, uint64(i)))
}

// head draws what identifies item i: its type, status, title and slug. It is the start of
// item(i), for callers that need no more.
func (c *corpus) head(r *rand.Rand, i int) itemRecord {
	it := itemRecord{Type: itemTypes[len(itemTypes)-1].key, Status: "published"}
	p := r.Float64()
	for _, t := range itemTypes {
		if p < t.weight {
			it.Type = t.key
			break
		}
		p -= t.weight
	}
	if r.Float64() < draftShare {
		it.Status = "draft"
	}
	it.Title = c.sentence(r, 6, 12, false)
	it.Slug = slugFor(it.Title, i)
	return it
}

// slugFor makes a slug from a title, unique through the item's index.
func slugFor(title string, i int) string {
	const maxWords = 80 // the API allows 96 characters
	var b strings.Builder
	for w := range strings.FieldsSeq(strings.ToLower(title)) {
		w = strings.Trim(w, ",")
		if b.Len()+len(w)+1 > maxWords {
			break
		}
		b.WriteString(w)
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatInt(int64(i), 36))
	return b.String()
}

// item builds item i in full.
func (c *corpus) item(i int) itemRecord {
	r := c.rng(i)
	it := c.head(r, i)
	if it.Status == "published" {
		at := publishedUntil.Add(-time.Duration(r.Int64N(int64(publishedSpan)))).Truncate(time.Second)
		it.PublishedAt = &at
	}
	it.Summary = c.sentence(r, 25, 35, true)
	it.Body = c.body(r)
	it.Tags = c.tags(r)
	it.Fields = map[string]any{}
	switch it.Type {
	case "event":
		start := publishedUntil.Add(-time.Duration(r.Int64N(int64(publishedSpan)))).Truncate(time.Hour)
		it.Fields["starts_at"] = start.Format(time.RFC3339)
		it.Fields["ends_at"] = start.Add(time.Duration(1+r.IntN(8)) * time.Hour).Format(time.RFC3339)
		it.Fields["location"] = capitalize(c.words[c.word.draw(r)])
		it.Fields["online"] = r.IntN(3) == 0
	case "interview":
		it.Fields["interviewee"] = capitalize(c.words[r.IntN(len(c.words))]) + " " + capitalize(c.words[r.IntN(len(c.words))])
	}
	return it
}

func (c *corpus) tags(r *rand.Rand) []string {
	n := 1 + r.IntN(4)
	tags := make([]string, 0, n)
	for len(tags) < n {
		t := corpusTags[c.tag.draw(r)].Slug
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// sentence is min to max words from the vocabulary, capitalized, with a full stop if asked.
func (c *corpus) sentence(r *rand.Rand, minWords, maxWords int, stop bool) string {
	var b strings.Builder
	n := minWords + r.IntN(maxWords-minWords+1)
	for k := range n {
		w := c.words[c.word.draw(r)]
		if k == 0 {
			w = capitalize(w)
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if k > 0 && k < n-1 && r.IntN(12) == 0 {
			b.WriteByte(',')
		}
	}
	if stop {
		b.WriteByte('.')
	}
	return b.String()
}

// body is a few paragraphs of Markdown, 1 to 2 KB: headings, emphasis, links and lists, as
// editors write them.
func (c *corpus) body(r *rand.Rand) string {
	var b strings.Builder
	for p := range 3 + r.IntN(4) {
		if p > 0 {
			b.WriteString("\n\n")
		}
		if p > 0 && r.IntN(3) == 0 {
			b.WriteString("## " + c.sentence(r, 2, 5, false) + "\n\n")
		}
		if r.IntN(4) == 0 {
			for range 3 + r.IntN(3) {
				b.WriteString("- " + c.sentence(r, 3, 8, false) + "\n")
			}
			b.WriteByte('\n')
		}
		for s := range 3 + r.IntN(3) {
			if s > 0 {
				b.WriteByte(' ')
			}
			sentence := c.sentence(r, 8, 18, true)
			switch r.IntN(8) {
			case 0:
				first, rest, _ := strings.Cut(sentence, " ")
				sentence = "**" + first + "** " + rest
			case 1:
				w := c.words[c.word.draw(r)]
				sentence = strings.TrimSuffix(sentence, ".") + " [" + w + "](https://example.org/" + w + ")."
			}
			b.WriteString(sentence)
		}
	}
	return b.String()
}

func capitalize(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// write writes the corpus as the import reads it: the tags, then the items, one record a line.
func (c *corpus) write(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, t := range corpusTags {
		if err := enc.Encode(map[string]tagRecord{"tag": t}); err != nil {
			return err
		}
	}
	for i := range c.n {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := enc.Encode(map[string]itemRecord{"item": c.item(i)}); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return bw.Flush()
}
