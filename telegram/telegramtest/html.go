package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseHTML reads a text sent with parse_mode HTML the way Telegram does and
// returns what the buyer sees (Message.text or caption, the markup gone and
// the entities decoded), or why Telegram refuses the message. The error is
// Telegram's description without its "Bad Request: can't parse entities: "
// prefix.
//
// It follows Telegram's parser: the documented tags only (b, strong, i, em,
// u, ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href, code,
// pre, blockquote [expandable], tg-emoji emoji-id), each closed in order
// (an end tag must repeat the start tag's name exactly; a bare "</>" closes
// the innermost tag), and the entities &lt; &gt; &amp; &quot; and every
// numeric one (&#39; &#x27;).
//
// It is stricter than Telegram in two documented ways, so that text nobody
// escaped fails the tests: the Bot API documentation says every "<", ">" and
// "&" that is not part of a tag or an entity must be written as an entity,
// but Telegram keeps a stray ">" or "&" as text; here they are refused
// ("Unescaped ..." is the fake's own wording). Unescaped text that happens to
// contain "&amp;" would otherwise reach the buyer altered, silently. An "a"
// tag must carry href, as the documentation shows it (Telegram would make a
// link of the tag's text, or drop it).
func ParseHTML(text string) (string, error) {
	p := htmlParser{text: text}
	if err := p.parse(); err != nil {
		return "", err
	}
	return p.out.String(), nil
}

type htmlParser struct {
	text string
	out  strings.Builder
	open []string // tags not yet closed, innermost last
}

func (p *htmlParser) parse() error {
	t := p.text
	for i := 0; i < len(t); {
		switch t[i] {
		case '&':
			r, n := htmlEntity(t[i:])
			if n == 0 {
				return fmt.Errorf("Unescaped \"&\" at byte offset %d: write it as &amp;", i)
			}
			p.out.WriteRune(r)
			i += n
		case '>':
			return fmt.Errorf("Unescaped \">\" at byte offset %d: write it as &gt;", i)
		case '<':
			var (
				n   int
				err error
			)
			if i+1 < len(t) && t[i+1] == '/' {
				n, err = p.endTag(i)
			} else {
				n, err = p.startTag(i)
			}
			if err != nil {
				return err
			}
			i += n
		default:
			p.out.WriteByte(t[i])
			i++
		}
	}
	if len(p.open) > 0 {
		return fmt.Errorf("Can't find end tag corresponding to start tag %q", p.open[len(p.open)-1])
	}
	return nil
}

// startTag reads the tag that starts at begin and returns its length.
func (p *htmlParser) startTag(begin int) (int, error) {
	t := p.text
	i := begin + 1
	for i < len(t) && !htmlSpace(t[i]) && t[i] != '>' {
		i++
	}
	if i >= len(t) {
		return 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
	}
	name := strings.ToLower(t[begin+1 : i])
	if !htmlTag(name) {
		return 0, fmt.Errorf("Unsupported start tag %q at byte offset %d", name, begin)
	}
	attrs := map[string]string{}
	for {
		for i < len(t) && htmlSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return 0, fmt.Errorf("Unclosed start tag %q at byte offset %d", name, begin)
		}
		if t[i] == '>' {
			break
		}
		attrBegin := i
		for i < len(t) && !htmlSpace(t[i]) && t[i] != '=' && t[i] != '>' {
			i++
		}
		attr := t[attrBegin:i]
		if attr == "" {
			return 0, fmt.Errorf("Empty attribute name in the tag %q at byte offset %d", name, begin)
		}
		for i < len(t) && htmlSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return 0, fmt.Errorf("Unclosed start tag %q at byte offset %d", name, begin)
		}
		if t[i] != '=' {
			if name == "blockquote" && attr == "expandable" {
				continue
			}
			return 0, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag %q at byte offset %d", name, begin)
		}
		i++
		for i < len(t) && htmlSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return 0, fmt.Errorf("Unclosed start tag %q at byte offset %d", name, begin)
		}
		var value string
		if q := t[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(t[i+1:], q)
			if end < 0 {
				return 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			v, err := decodeAttribute(t[i+1:i+1+end], i+1)
			if err != nil {
				return 0, err
			}
			value, i = v, i+1+end+1
		} else {
			// An unquoted value is an HTML name token.
			tokenBegin := i
			for i < len(t) && (isAlnum(t[i]) || t[i] == '.' || t[i] == '-') {
				i++
			}
			if i >= len(t) || (!htmlSpace(t[i]) && t[i] != '>') {
				return 0, fmt.Errorf("Unexpected end of name token at byte offset %d", tokenBegin)
			}
			value = strings.ToLower(t[tokenBegin:i])
		}
		attrs[attr] = value
	}
	switch name {
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return 0, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
		}
	case "a":
		if _, ok := attrs["href"]; !ok {
			return 0, fmt.Errorf("Tag \"a\" must have attribute \"href\" at byte offset %d", begin)
		}
	case "tg-emoji":
		if id, err := strconv.ParseInt(attrs["emoji-id"], 10, 64); err != nil || id == 0 {
			return 0, fmt.Errorf("Invalid custom emoji identifier specified")
		}
	}
	p.open = append(p.open, name)
	return i + 1 - begin, nil
}

// endTag reads the end tag that starts at begin and returns its length.
func (p *htmlParser) endTag(begin int) (int, error) {
	t := p.text
	if len(p.open) == 0 {
		return 0, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
	}
	i := begin + 2
	for i < len(t) && !htmlSpace(t[i]) && t[i] != '>' {
		i++
	}
	name := t[begin+2 : i]
	for i < len(t) && htmlSpace(t[i]) {
		i++
	}
	if i >= len(t) || t[i] != '>' {
		return 0, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
	}
	top := p.open[len(p.open)-1]
	if name != "" && name != top {
		return 0, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top, name)
	}
	p.open = p.open[:len(p.open)-1]
	return i + 1 - begin, nil
}

// decodeAttribute decodes the entities of a quoted attribute value that
// starts at byte offset at.
func decodeAttribute(v string, at int) (string, error) {
	if !strings.Contains(v, "&") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] != '&' {
			b.WriteByte(v[i])
			i++
			continue
		}
		r, n := htmlEntity(v[i:])
		if n == 0 {
			return "", fmt.Errorf("Unescaped \"&\" at byte offset %d: write it as &amp;", at+i)
		}
		b.WriteRune(r)
		i += n
	}
	return b.String(), nil
}

// htmlEntity decodes the entity at the start of s and returns its length,
// or 0 if s does not start with one Telegram knows. Like Telegram, it
// accepts an entity without its closing ";".
func htmlEntity(s string) (rune, int) {
	if len(s) < 2 || s[0] != '&' {
		return 0, 0
	}
	end := 1
	var r rune
	if s[1] == '#' {
		end = 2
		base := rune(10)
		if len(s) > 2 && s[2] == 'x' {
			end, base = 3, 16
		}
		for end < len(s) {
			d, ok := digitValue(s[end], base)
			if !ok {
				break
			}
			r = r*base + d
			if r >= 0x10ffff {
				return 0, 0
			}
			end++
		}
		if r == 0 || end >= 10 {
			return 0, 0
		}
	} else {
		for end < len(s) && isAlpha(s[end]) {
			end++
		}
		switch s[1:end] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0 // Telegram supports no other named entity
		}
	}
	if end < len(s) && s[end] == ';' {
		end++
	}
	return r, end
}

func digitValue(c byte, base rune) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func htmlSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool   { return isAlpha(c) || c >= '0' && c <= '9' }

// htmlTag lists the tags Telegram's HTML parse mode supports.
func htmlTag(name string) bool {
	switch name {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
		"tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji":
		return true
	}
	return false
}
