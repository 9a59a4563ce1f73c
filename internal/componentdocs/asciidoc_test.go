package componentdocs

import (
	"strings"
	"testing"
)

func TestMarkdownConvertsAsciiDoc(t *testing.T) {
	in := strings.Join([]string{
		"Writes rows.",
		"",
		"== Modes",
		"",
		"=== Append",
		"Allows you to configure a xref:configuration:batching.adoc[batching policy].",
		"See xref:configuration:interpolation.adoc#bloblang-queries[Bloblang queries] and link:https://delta.io/[Delta].",
		"Or https://example.com/x[the example], but `xref:a:b.adoc[kept]` in code.",
		"NOTE: mind the gap.",
		"",
		"[source,yaml]",
		"----",
		"== not a title",
		"a: xref:x:y.adoc[z]",
		"----",
		"",
		"```yaml",
		"== also not a title",
		"```",
	}, "\n")
	want := strings.Join([]string{
		"Writes rows.",
		"",
		"## Modes",
		"",
		"### Append",
		"Allows you to configure a [batching policy](https://docs.redpanda.com/redpanda-connect/configuration/batching/).",
		"See [Bloblang queries](https://docs.redpanda.com/redpanda-connect/configuration/interpolation/#bloblang-queries) and [Delta](https://delta.io/).",
		"Or [the example](https://example.com/x), but `xref:a:b.adoc[kept]` in code.",
		"> **Note:** mind the gap.",
		"",
		"```yaml",
		"== not a title",
		"a: xref:x:y.adoc[z]",
		"```",
		"",
		"```yaml",
		"== also not a title",
		"```",
	}, "\n")
	if got := Markdown(in); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestMarkdownLeavesMarkdownAlone(t *testing.T) {
	md := "# Title\n\n- `a`: [link](https://x.y/z)\n\n> quote\n\n| a | b |\n|---|---|\n\n~~~\n----\n~~~\n"
	if got := Markdown(md); got != md {
		t.Errorf("Markdown changed Markdown:\n%s", got)
	}
}

func FuzzMarkdown(f *testing.F) {
	f.Add("== T\nxref:a:b.adoc[c]\n[source,go]\n----\nx\n----\n```\n== y\n```")
	f.Add("link:u[t] `x` https://h/p[t]")
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if !strings.Contains(s, "----") && !strings.Contains(s, "[source") && strings.Count(out, "\n") != strings.Count(s, "\n") {
			t.Fatalf("line count changed: %q → %q", s, out)
		}
		if strings.Contains(s, "xref:") {
			return
		}
		if strings.Count(out, "```")%2 != strings.Count(s, "```")%2 && !strings.Contains(s, "----") {
			t.Fatalf("fences changed: %q → %q", s, out)
		}
	})
}
