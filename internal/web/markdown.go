package web

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Markdown renders text written by the authors of standards (a check's
// remediation and description) as HTML for a page.
//
// It is safe for text from anyone who may commit to the standards
// repository: goldmark's renderer without html.WithUnsafe drops raw HTML
// (`<script>` becomes a comment) and empties links to javascript:, vbscript:,
// file: and data: URLs. Links open in the same tab and are marked
// rel="nofollow" since they point wherever the author wrote.
type Markdown struct {
	md goldmark.Markdown
}

// NewMarkdown returns a renderer for CommonMark plus bare-URL autolinks and
// strikethrough; headings are not given ids, so rendered text never clashes
// with the ids of the page around it.
func NewMarkdown() *Markdown {
	return &Markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)}
}

// Render returns src as HTML. A remediation is usually one paragraph; it is
// returned without the <p> around it when it is just that, so it can sit in
// a table cell or a list item.
func (m *Markdown) Render(src string) template.HTML {
	src = strings.TrimSpace(src)
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	out := strings.TrimSpace(buf.String())
	if inner, ok := strings.CutPrefix(out, "<p>"); ok {
		if inner, ok := strings.CutSuffix(inner, "</p>"); ok && !strings.Contains(inner, "<p>") {
			out = inner
		}
	}
	out = strings.ReplaceAll(out, "<a href=", `<a rel="nofollow" href=`)
	return template.HTML(out) // safe: see the type's comment
}
