package content

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxSlug is the longest slug, in bytes (all ASCII).
const MaxSlug = 96

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s is a slug as clients may give one: lower-case ASCII letters and
// digits in groups joined by single hyphens, at most MaxSlug long.
func ValidSlug(s string) bool { return len(s) <= MaxSlug && slugPattern.MatchString(s) }

// Letters that Unicode decomposition does not reduce to ASCII, spelt as they are usually
// transliterated.
var transliterations = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i",
	'Æ': "ae", 'Œ': "oe", 'Ø': "o", 'Đ': "d", 'Ð': "d", 'Ł': "l", 'Þ': "th",
}

// Slugify derives a slug from a title: letters folded to ASCII ("Coopératives" →
// "cooperatives"), lower case, every other run of characters a single hyphen, cut at a word
// boundary to MaxSlug. It returns "" when nothing ASCII is left (a title in another script);
// the caller then makes one up.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(title) {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent, separated from its letter by NFKD
		}
		s := string(unicode.ToLower(r))
		if t, ok := transliterations[r]; ok {
			s = t
		}
		for _, c := range s {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				if hyphen && b.Len() > 0 {
					b.WriteByte('-')
				}
				hyphen = false
				b.WriteRune(c)
			} else {
				hyphen = true
			}
		}
	}
	slug := b.String()
	if len(slug) > MaxSlug {
		slug = slug[:MaxSlug]
		if i := strings.LastIndexByte(slug, '-'); i > MaxSlug/2 {
			slug = slug[:i]
		}
		slug = strings.TrimRight(slug, "-")
	}
	return slug
}
