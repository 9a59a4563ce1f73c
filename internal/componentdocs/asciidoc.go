package componentdocs

import (
	"regexp"
	"strings"
)

// upstreamDocs is where the Benthos core's documentation lives; its AsciiDoc cross references
// (xref:module:page.adoc[text]) point there.
const upstreamDocs = "https://docs.redpanda.com/redpanda-connect"

var (
	xrefRe    = regexp.MustCompile(`xref:([a-z0-9_-]+):([^\[\s]+?)\.adoc(#[^\[\s]*)?\[([^\]]*)\]`)
	linkRe    = regexp.MustCompile(`link:(\S+?)\[([^\]]*)\]`)
	urlTextRe = regexp.MustCompile(`(^|[\s(])(https?://[^\s\[\]]+)\[([^\]]+)\]`)
	headingRe = regexp.MustCompile(`^(={1,5}) +(\S.*)$`)
	admonRe   = regexp.MustCompile(`^(NOTE|TIP|IMPORTANT|WARNING|CAUTION): +(.*)$`)
	sourceRe  = regexp.MustCompile(`^\[source(?:,\s*([a-zA-Z0-9_+-]+))?[^\]]*\]$`)
)

// Markdown converts the AsciiDoc the Benthos core writes in its field descriptions (and any
// that is left in a component's own) into Markdown: section titles, cross references and
// links, source blocks and admonitions. Markdown passes through unchanged, and nothing inside
// a code block is touched.
func Markdown(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	fence := ""     // the Markdown fence we are inside, if any
	inAdoc := false // inside an AsciiDoc ---- block (converted to a fence)
	lang := ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case inAdoc:
			if trimmed == "----" {
				out = append(out, "```")
				inAdoc = false
				continue
			}
			out = append(out, line)
			continue
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			out = append(out, line)
			continue
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			out = append(out, line)
			continue
		}
		if m := sourceRe.FindStringSubmatch(trimmed); m != nil && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "----" {
			lang = m[1]
			continue
		}
		if trimmed == "----" {
			out = append(out, "```"+lang)
			lang, inAdoc = "", true
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			// A description is part of a page whose title is "#": its "==" sections are "##".
			out = append(out, strings.Repeat("#", len(m[1]))+" "+m[2])
			continue
		}
		if m := admonRe.FindStringSubmatch(line); m != nil {
			line = "> **" + strings.ToUpper(m[1][:1]) + strings.ToLower(m[1][1:]) + ":** " + m[2]
		}
		out = append(out, inline(line))
	}
	if inAdoc {
		out = append(out, "```") // an AsciiDoc block left open ends with the text
	}
	return strings.Join(out, "\n")
}

// inline converts cross references and links outside `code spans`.
func inline(line string) string {
	parts := strings.Split(line, "`")
	for i := 0; i < len(parts); i += 2 { // even parts are outside code spans
		p := parts[i]
		p = xrefRe.ReplaceAllStringFunc(p, func(x string) string {
			m := xrefRe.FindStringSubmatch(x)
			text := m[4]
			if text == "" {
				text = m[2]
			}
			return "[" + text + "](" + upstreamDocs + "/" + m[1] + "/" + m[2] + "/" + m[3] + ")"
		})
		p = linkRe.ReplaceAllString(p, "[$2]($1)")
		p = urlTextRe.ReplaceAllString(p, "$1[$3]($2)")
		parts[i] = p
	}
	return strings.Join(parts, "`")
}
