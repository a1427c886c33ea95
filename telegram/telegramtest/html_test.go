package telegramtest

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // what the buyer reads, when accepted
		err        string // Telegram's description after "can't parse entities: ", when refused
	}{
		{"plain", "plain", "plain", ""},
		{"bold and italic", "<b>bold</b> <i>it</i>", "bold it", ""},
		{"every tag", `<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>` +
			`<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code><pre>k</pre>` +
			`<blockquote>l</blockquote><blockquote expandable>m</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`,
			"abcdefghijklm👍", ""},
		{"nested", "<b>bold <i>italic <u>under</u></i></b>", "bold italic under", ""},
		{"pre with a language", `<pre><code class="language-go">x := 1</code></pre>`, "x := 1", ""},
		{"link", `<a href="https://x.y/?a=1&amp;b=2">l</a>`, "l", ""},
		{"single-quoted attribute", `<a href='https://x.y'>l</a>`, "l", ""},
		{"unquoted attribute", `<span class=tg-spoiler>s</span>`, "s", ""},
		{"upper-case start tag", "<B>x</b>", "x", ""},
		{"bare end tag closes the innermost", "<b>x</>", "x", ""},
		{"spaces before >", "<b >x</b >", "x", ""},
		{"named entities", "&lt;3 &gt; &amp; &quot;q&quot;", `<3 > & "q"`, ""},
		{"numeric entities", "&#39; &#x27; &#8381; &#x1F600;", "' ' ₽ 😀", ""},
		{"entity without its semicolon", "&lt 3", "< 3", ""},
		{"what html.EscapeString writes", html.EscapeString(`speed <1 Mbps & no <b>signal "it's"`),
			`speed <1 Mbps & no <b>signal "it's"`, ""},
		{"LPA in code", "<code>LPA:1$smdp.io$ABC</code>", "LPA:1$smdp.io$ABC", ""},

		{"stray <", "1 < 2", "", `Unsupported start tag "" at byte offset 2`},
		{"unescaped reason", "Reason: speed <1 Mbps & no <b>signal", "", `Unsupported start tag "1" at byte offset 14`},
		{"unknown tag", "hello <div>x</div>", "", `Unsupported start tag "div" at byte offset 6`},
		{"br is not a tag here", "a<br>b", "", `Unsupported start tag "br" at byte offset 1`},
		{"unclosed start tag", "a <b", "", "Unclosed start tag at byte offset 2"},
		{"unclosed attribute", `<a href="x>l</a>`, "", "Unclosed start tag at byte offset 0"},
		{"never closed", "<b>open", "", `Can't find end tag corresponding to start tag "b"`},
		{"crossed", "<b><i>x</b></i>", "", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"end tag case must match", "<B>x</B>", "", `Unmatched end tag at byte offset 4, expected "</b>", found "</B>"`},
		{"end tag without start", "x</b>", "", "Unexpected end tag at byte offset 1"},
		{"unclosed end tag", "<b>x</b", "", "Unclosed end tag at byte offset 4"},
		{"a without href", "<a>no href</a>", "", `Tag "a" must have attribute "href" at byte offset 0`},
		{"span without the spoiler class", `<span class="x">s</span>`, "", `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{"attribute without a value", "<b bold>x</b>", "", `Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0`},
		{"bad emoji id", `<tg-emoji emoji-id="x">👍</tg-emoji>`, "", "Invalid custom emoji identifier specified"},
		{"empty tag", "<>", "", `Unsupported start tag "" at byte offset 0`},
		// Stricter than Telegram, as the documentation asks (see ParseHTML).
		{"bare &", "AT&T", "", `Unescaped "&" at byte offset 2: write it as &amp;`},
		{"unknown named entity", "&foo; bar", "", `Unescaped "&" at byte offset 0: write it as &amp;`},
		{"&apos; is not supported", "it&apos;s", "", `Unescaped "&" at byte offset 2: write it as &amp;`},
		{"numeric entity out of range", "&#1114112;", "", `Unescaped "&" at byte offset 0: write it as &amp;`},
		{"&#0; is no character", "&#0;", "", `Unescaped "&" at byte offset 0: write it as &amp;`},
		{"bare >", "x > y", "", `Unescaped ">" at byte offset 2: write it as &gt;`},
		{"bare & in an href", `<a href="https://x.y/?a=1&b=2">l</a>`, "", `Unescaped "&" at byte offset 25: write it as &amp;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHTML(tt.text)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("ParseHTML(%q) refused: %v", tt.text, err)
			case tt.err == "" && got != tt.want:
				t.Fatalf("ParseHTML(%q) = %q, want %q", tt.text, got, tt.want)
			case tt.err != "" && err == nil:
				t.Fatalf("ParseHTML(%q) = %q, want the refusal %q", tt.text, got, tt.err)
			case tt.err != "" && err.Error() != tt.err:
				t.Fatalf("ParseHTML(%q) error = %q, want %q", tt.text, err, tt.err)
			}
		})
	}
}

// TestSendChecksEntitiesAndLimits sends over the wire: the limits count the
// parsed text, refusals carry Telegram's descriptions, and the answer and
// the chat hold what the buyer reads.
func TestSendChecksEntitiesAndLimits(t *testing.T) {
	f, srv := NewServer(t, Options{})
	amps := func(n int) string { return strings.Repeat("&amp;", n) }
	tests := []struct {
		name, method, text string
		want               string // "" = accepted
	}{
		{"text at the limit, markup not counted", "sendMessage", "<b>" + strings.Repeat("x", 4096) + "</b>", ""},
		{"text of entities at the limit", "sendMessage", amps(4096), ""},
		{"emoji count once", "sendMessage", strings.Repeat("😀", 4096), ""},
		{"text over the limit", "sendMessage", amps(4097), "Bad Request: message is too long"},
		{"text empty after parsing", "sendMessage", "<b> </b>", "Bad Request: message text is empty"},
		{"unescaped text", "sendMessage", "Reason: speed <1 Mbps & no <b>signal",
			`Bad Request: can't parse entities: Unsupported start tag "1" at byte offset 14`},
		{"caption at the limit", "sendPhoto", `<a href="https://x.y">` + amps(1024) + "</a>", ""},
		{"caption over the limit", "sendPhoto", amps(1025), "Bad Request: message caption is too long"},
		{"caption with a bad tag", "sendPhoto", "<p>x</p>", `Bad Request: can't parse entities: Unsupported start tag "p" at byte offset 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{"chat_id": ada.ID, "parse_mode": "HTML"}
			if tt.method == "sendPhoto" {
				params["photo"], params["caption"] = "AgACAgIAAxkBAAIBfileid", tt.text
			} else {
				params["text"] = tt.text
			}
			body, _ := json.Marshal(params)
			code, a := postJSON(t, srv, f.Token(), tt.method, string(body))
			if tt.want != "" {
				if code != 400 || a.Ok || a.Description != tt.want {
					t.Fatalf("%d %q, want 400 %q", code, a.Description, tt.want)
				}
				return
			}
			if code != 200 || !a.Ok {
				t.Fatalf("refused: %d %q", code, a.Description)
			}
			var msg struct {
				Text    string `json:"text"`
				Caption string `json:"caption"`
			}
			if err := json.Unmarshal(a.Result, &msg); err != nil {
				t.Fatal(err)
			}
			plain, err := ParseHTML(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			chat := f.Chat(ada.ID)
			last := chat[len(chat)-1]
			if got := msg.Text + msg.Caption; got != plain || last.Plain != plain || last.Text != tt.text {
				t.Errorf("answer %q, chat item %+v; want the parsed text %q", got, last, plain)
			}
		})
	}
	if n := len(f.Chat(ada.ID)); n != 4 {
		t.Errorf("chat holds %d messages, want the 4 accepted ones", n)
	}
}
