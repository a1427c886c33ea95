package telegramtest

import (
	"fmt"
	"strings"
)

// checkHTML rejects text that Telegram's HTML parse mode would reject: an
// unescaped "<" or an unsupported, unclosed or mismatched tag. Catching this
// in tests matters because a caption with a stray "<" fails the whole send.
// Entity checks are lenient like Telegram's ("&" alone is accepted).
func checkHTML(text string) error {
	var stack []string
	for i := 0; i < len(text); i++ {
		if text[i] == '>' {
			continue // a bare ">" is tolerated by Telegram
		}
		if text[i] != '<' {
			continue
		}
		end := strings.IndexByte(text[i:], '>')
		if end < 0 {
			return fmt.Errorf("unclosed start tag at byte offset %d", i)
		}
		tag := text[i+1 : i+end]
		closing := strings.HasPrefix(tag, "/")
		tag = strings.TrimPrefix(tag, "/")
		fields := strings.Fields(tag)
		if len(fields) == 0 {
			return fmt.Errorf("empty tag at byte offset %d", i)
		}
		name := strings.ToLower(fields[0])
		if !htmlTag(name) {
			return fmt.Errorf("unsupported start tag %q at byte offset %d", name, i)
		}
		if closing {
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, last(stack), name)
			}
			stack = stack[:len(stack)-1]
		} else {
			if name == "a" && !strings.Contains(strings.ReplaceAll(tag, " ", ""), "href=") {
				return fmt.Errorf("tag \"a\" must have attribute \"href\" at byte offset %d", i)
			}
			stack = append(stack, name)
		}
		i += end
	}
	if len(stack) > 0 {
		return fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", last(stack))
	}
	return nil
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// htmlTag lists the tags Telegram's HTML parse mode supports.
func htmlTag(name string) bool {
	switch name {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
		"tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji":
		return true
	}
	return false
}
